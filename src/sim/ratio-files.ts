/**
 * Measured ratios from files: a study's results.json (the subset documented
 * in docs/SIMULATOR.md) or a per-layer ratio table. Both are validated field
 * by field; a malformed file is an InputFileError naming the field.
 */
import { InputFileError } from '../errors.js';
import type { BuiltinCodecId } from '../codec/codec.js';
import { FILE_LIMITS } from '../io/limits.js';
import { readJsonBounded } from '../io/read.js';
import { isRatio, RATIO_RANGE_TEXT } from '../study/results.js';

export type SimLayout = 'nchw' | 'nhwc' | 'chwn';
export const SIM_LAYOUTS: readonly SimLayout[] = ['nchw', 'nhwc', 'chwn'];
const ALGOS = ['zvc', 'rle', 'zlib'] as const;

/** One measured tensor: keyed by its producer's layer name; role 'mask' for dropout masks. */
export interface MeasuredTensor {
  readonly layer: string;
  readonly role: 'output' | 'mask';
  readonly density: number;
  /** ratios[codec][layout], only those present and positive. */
  readonly ratios: Partial<
    Record<Exclude<BuiltinCodecId, 'none'>, Partial<Record<SimLayout, number>>>
  >;
}

export interface MeasuredModel {
  /** The study entry used (e.g. "alexnet-small"). */
  readonly model: string;
  readonly tensors: ReadonlyMap<string, MeasuredTensor>;
}

/** Key of a measured tensor: "relu1" for an output, "drop6:mask" for a mask. */
export function measuredKey(layer: string, role: 'output' | 'mask'): string {
  return role === 'mask' ? `${layer}:mask` : layer;
}

function readJson(path: string, what: string): unknown {
  return readJsonBounded(path, { what, maxBytes: FILE_LIMITS.ratioTable });
}

/** A JSON value as messages show it: numbers and short strings as they are, the rest by type. */
export function shownValue(v: unknown): string {
  if (v === undefined) return 'no value';
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  return Array.isArray(v) ? 'an array' : `an ${typeof v}`;
}

/** A name as messages show it: as it is when plain, else quoted (and shortened). */
export function shownName(name: string): string {
  if (/^[A-Za-z0-9_:./-]{1,64}$/.test(name)) return name;
  return JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}...` : name);
}

/** `base.key`, or `base["key"]` when the key is not a plain name. */
export function fieldPath(base: string, key: string): string {
  const shown = shownName(key);
  return shown === key ? `${base}.${key}` : `${base}[${shown}]`;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads the models[].layers[] subset of a study results.json for `model`. */
export function parseStudy(json: unknown, model: string, where = 'study file'): MeasuredModel {
  const fail = (path: string, what: string): never => {
    throw new InputFileError(
      `${where}: ${path}: ${what}; regenerate it with cdma study or fix the file`,
    );
  };
  if (!isObj(json)) fail('top level', 'expected an object');
  const models = (json as Record<string, unknown>).models;
  if (!Array.isArray(models)) fail('models', 'expected an array');
  const entries = (models as unknown[]).map((m, i) => {
    if (!isObj(m)) fail(`models[${i}]`, 'expected an object');
    const mm = m as Record<string, unknown>;
    if (typeof mm.model !== 'string') fail(`models[${i}].model`, 'expected a string');
    if (mm.requested !== undefined && typeof mm.requested !== 'string') {
      fail(`models[${i}].requested`, 'expected a string');
    }
    return { i, m: mm, name: mm.model as string, requested: mm.requested as string | undefined };
  });
  const base = (n: string): string => n.replace(/-small$/, '');
  const pick =
    entries.find((e) => e.name === model) ??
    entries.find((e) => e.requested === model) ??
    entries.find((e) => base(e.name) === base(model));
  if (!pick) {
    const names = entries.slice(0, 8).map((e) => shownName(e.name));
    if (entries.length > 8) names.push(`and ${entries.length - 8} more`);
    throw new InputFileError(
      `${where} has no results for model '${shownName(model)}' (it has: ${names.join(', ') || 'none'}); ` +
        'run cdma study on that model or simulate one it has',
    );
  }
  const layers = pick.m.layers;
  const lp = `models[${pick.i}].layers`;
  if (!Array.isArray(layers)) fail(lp, 'expected an array');
  const tensors = new Map<string, MeasuredTensor>();
  (layers as unknown[]).forEach((l, j) => {
    const p = `${lp}[${j}]`;
    if (!isObj(l)) fail(p, 'expected an object');
    const o = l as Record<string, unknown>;
    if (typeof o.layer !== 'string' || o.layer === '') fail(`${p}.layer`, 'expected a layer name');
    const role = o.role === undefined ? 'output' : o.role;
    if (role !== 'output' && role !== 'mask') fail(`${p}.role`, "expected 'output' or 'mask'");
    const d = o.density;
    if (typeof d !== 'number' || !(d >= 0 && d <= 1)) {
      fail(`${p}.density`, `expected a number in [0, 1], found ${shownValue(d)}`);
    }
    const ratios: Record<string, Record<string, number>> = {};
    if (o.ratios !== undefined) {
      if (!isObj(o.ratios)) fail(`${p}.ratios`, 'expected an object');
      for (const a of ALGOS) {
        const byLayout = (o.ratios as Record<string, unknown>)[a];
        if (byLayout === undefined) continue;
        if (!isObj(byLayout)) fail(`${p}.ratios.${a}`, 'expected an object of layouts');
        for (const lay of SIM_LAYOUTS) {
          const r = (byLayout as Record<string, unknown>)[lay];
          if (r === undefined) continue;
          if (r !== 0 && !isRatio(r)) {
            fail(
              `${p}.ratios.${a}.${lay}`,
              `expected ${RATIO_RANGE_TEXT} (or 0: not measured), found ${shownValue(r)}`,
            );
          }
          if (r !== 0) (ratios[a] ??= {})[lay] = r as number;
        }
      }
    }
    const key = measuredKey(o.layer as string, role as 'output' | 'mask');
    if (tensors.has(key)) fail(`${p}.layer`, `duplicate entry for '${shownName(key)}'`);
    tensors.set(key, {
      layer: o.layer as string,
      role: role as 'output' | 'mask',
      density: d as number,
      ratios,
    });
  });
  return { model: pick.name, tensors };
}

export function loadStudy(path: string, model: string): MeasuredModel {
  return parseStudy(readJson(path, 'study results'), model, path);
}

/** A ratio table: `{ "default"?: r, "layers": { "<layer>" | "<dropout>:mask": r } }`. */
export interface RatioTable {
  readonly default?: number;
  readonly layers: ReadonlyMap<string, number>;
}

export function parseRatioTable(json: unknown, where = 'ratio table'): RatioTable {
  const fail = (path: string, what: string): never => {
    throw new InputFileError(`${where}: ${path}: ${what}; see docs/SIMULATOR.md for the format`);
  };
  if (!isObj(json)) fail('top level', 'expected an object with a "layers" map');
  const o = json as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k !== 'layers' && k !== 'default')
      fail(shownName(k), 'unknown field (expected "layers" and optional "default")');
  }
  const ratio = (v: unknown, path: string): number => {
    if (!isRatio(v)) {
      fail(
        path,
        `expected ${RATIO_RANGE_TEXT} (raw bytes / compressed bytes), found ${shownValue(v)}`,
      );
    }
    return v as number;
  };
  if (!isObj(o.layers)) fail('layers', 'expected an object mapping layer names to ratios');
  const layers = new Map<string, number>();
  for (const [k, v] of Object.entries(o.layers as Record<string, unknown>)) {
    if (k === '') fail('layers', 'a layer name is empty');
    layers.set(k, ratio(v, fieldPath('layers', k)));
  }
  return { default: o.default === undefined ? undefined : ratio(o.default, 'default'), layers };
}

export function loadRatioTable(path: string): RatioTable {
  return parseRatioTable(readJson(path, 'ratio table'), path);
}
