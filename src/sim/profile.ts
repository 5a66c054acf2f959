/**
 * A measured per-layer profile that overrides the roofline (docs/SIMULATOR.md
 * "Profile JSON"): efficiencies per layer kind, and/or whole forward and
 * backward times per layer measured at some batch size.
 */
import { InputFileError } from '../errors.js';
import { FILE_LIMITS } from '../io/limits.js';
import { readJsonBounded } from '../io/read.js';
import type { LayerKind } from '../nn/spec.js';
import { SAVED_FOR_BACKWARD } from '../nn/spec.js';
import { fieldPath, shownName, shownValue } from './ratio-files.js';

export interface LayerProfile {
  readonly forwardMs: number;
  readonly backwardMs: number;
}

export interface Profile {
  /** Batch the layer times were measured at; times scale linearly to the simulated batch. */
  readonly batch?: number;
  readonly efficiency?: {
    readonly compute?: Readonly<Partial<Record<LayerKind, number>>>;
    readonly memory?: number;
  };
  readonly layers: ReadonlyMap<string, LayerProfile>;
}

const KINDS = Object.keys(SAVED_FOR_BACKWARD) as LayerKind[];

/** Largest batch a profile may be measured at (cdma simulate --batch takes up to the same). */
export const MAX_PROFILE_BATCH = 1 << 20;
/** Longest measured layer time: one hour, in milliseconds. */
export const MAX_LAYER_MS = 3.6e6;
/** Compute efficiencies above 1 express fast algorithms (Winograd, FFT) against direct FLOPs. */
export const MAX_COMPUTE_EFFICIENCY = 4;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates a parsed profile; `layerNames` (when given) rejects unknown layers, catching typos. */
export function parseProfile(
  json: unknown,
  layerNames?: ReadonlySet<string>,
  where = 'profile',
): Profile {
  const fail = (path: string, what: string): never => {
    throw new InputFileError(`${where}: ${path}: ${what}; see docs/SIMULATOR.md "Profile JSON"`);
  };
  if (!isObj(json)) fail('top level', 'expected an object');
  const o = json as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!['batch', 'efficiency', 'layers', 'gpu', 'model', 'note'].includes(k))
      fail(shownName(k), 'unknown field');
  }
  let batch: number | undefined;
  if (o.batch !== undefined) {
    if (
      !(typeof o.batch === 'number' && Number.isSafeInteger(o.batch)) ||
      o.batch < 1 ||
      o.batch > MAX_PROFILE_BATCH
    ) {
      fail(
        'batch',
        `expected a positive integer up to ${MAX_PROFILE_BATCH}, found ${shownValue(o.batch)}`,
      );
    }
    batch = o.batch as number;
  }
  const frac = (v: unknown, path: string, max: number): number => {
    if (typeof v !== 'number' || !(v > 0 && v <= max)) {
      fail(path, `expected a number in (0, ${max}], found ${shownValue(v)}`);
    }
    return v as number;
  };
  let efficiency: Profile['efficiency'];
  if (o.efficiency !== undefined) {
    if (!isObj(o.efficiency)) fail('efficiency', 'expected an object of layer kinds');
    const compute: Partial<Record<LayerKind, number>> = {};
    let memory: number | undefined;
    for (const [k, v] of Object.entries(o.efficiency as Record<string, unknown>)) {
      // Fast algorithms (Winograd, FFT) can exceed 1 in direct-convolution FLOPs.
      if (k === 'memory') memory = frac(v, 'efficiency.memory', 1);
      else if ((KINDS as string[]).includes(k))
        compute[k as LayerKind] = frac(v, `efficiency.${k}`, MAX_COMPUTE_EFFICIENCY);
      else
        fail(
          fieldPath('efficiency', k),
          `unknown layer kind (expected memory or one of ${KINDS.join(', ')})`,
        );
    }
    efficiency = { compute, memory };
  }
  const layers = new Map<string, LayerProfile>();
  if (o.layers !== undefined) {
    if (!isObj(o.layers)) fail('layers', 'expected an object mapping layer names to times');
    if (Object.keys(o.layers as object).length > 0 && batch === undefined) {
      fail('batch', 'required with layer times (the batch they were measured at)');
    }
    for (const [name, v] of Object.entries(o.layers as Record<string, unknown>)) {
      const p = fieldPath('layers', name);
      if (layerNames && !layerNames.has(name)) fail(p, 'no layer of that name in the model');
      if (!isObj(v)) fail(p, 'expected { "forwardMs": number, "backwardMs": number }');
      const ms = (x: unknown, q: string): number => {
        if (typeof x !== 'number' || !(x >= 0 && x <= MAX_LAYER_MS))
          fail(
            q,
            `expected milliseconds from 0 to ${MAX_LAYER_MS} (one hour), found ${shownValue(x)}`,
          );
        return x as number;
      };
      const lv = v as Record<string, unknown>;
      layers.set(name, {
        forwardMs: ms(lv.forwardMs, `${p}.forwardMs`),
        backwardMs: ms(lv.backwardMs, `${p}.backwardMs`),
      });
    }
  }
  return { batch, efficiency, layers };
}

export function loadProfile(path: string, layerNames?: ReadonlySet<string>): Profile {
  const json = readJsonBounded(path, { what: 'profile', maxBytes: FILE_LIMITS.profile });
  return parseProfile(json, layerNames, path);
}
