/**
 * Chooses each offloaded tensor's compression ratio from one source: a
 * post-ReLU density (--density), a study's measurements (--study) or a ratio
 * table (--ratios). docs/SIMULATOR.md states the rules.
 */
import type { ModelAnalysis } from '../nn/shapes.js';
import { InvalidArgumentError } from '../errors.js';
import { measuredKey, type MeasuredModel, type RatioTable, type SimLayout } from './ratio-files.js';
import type { BuiltinCodecId } from '../codec/codec.js';
import { ratioFromDensity, rleRatio, zvcRatio } from './ratios.js';
import { maskDensity, type SimTensor } from './tensors.js';

export type RatioSource =
  | { readonly kind: 'density'; readonly density: number }
  | { readonly kind: 'study'; readonly measured: MeasuredModel }
  | { readonly kind: 'table'; readonly table: RatioTable };

export type RatioOrigin =
  'model' | 'measured' | 'measured-density' | 'table' | 'table-default' | 'missing';

export interface TensorRatio {
  readonly ratio: number;
  /** Density used (when known). */
  readonly density?: number;
  readonly origin: RatioOrigin;
}

export interface ResolvedRatios {
  readonly byKey: ReadonlyMap<string, TensorRatio>;
  /** Keys of tensors no source covered (ratio 1 assumed). */
  readonly missing: readonly string[];
}

export interface RatioRequest {
  readonly codec: BuiltinCodecId;
  readonly elementBytes: 2 | 4;
  readonly layout: SimLayout;
  readonly batch: number;
}

/** Density of a tensor under a post-ReLU density d. */
export function tensorDensity(a: ModelAnalysis, t: SimTensor, d: number): number {
  if (t.kind === 'mask') return maskDensity(a, t);
  return t.sparseFactor > 0 ? Math.min(1, d * t.sparseFactor) : 1;
}

function lookupNames(t: SimTensor): string[] {
  return t.kind === 'mask' ? [measuredKey(t.ownerName, 'mask')] : [...t.names];
}

export function resolveRatios(
  a: ModelAnalysis,
  tensors: readonly SimTensor[],
  req: RatioRequest,
  source: RatioSource,
): ResolvedRatios {
  const byKey = new Map<string, TensorRatio>();
  const missing: string[] = [];
  const n = (t: SimTensor) => t.elements * req.batch;
  const fromDensity = (t: SimTensor, d: number, origin: RatioOrigin): TensorRatio => ({
    ratio: ratioFromDensity(req.codec, d, n(t), req.elementBytes),
    density: d,
    origin,
  });
  for (const t of tensors) {
    if (req.codec === 'none') {
      byKey.set(t.key, { ratio: 1, origin: 'model' });
      continue;
    }
    if (source.kind === 'density') {
      byKey.set(t.key, fromDensity(t, tensorDensity(a, t, source.density), 'model'));
      continue;
    }
    const names = lookupNames(t);
    if (source.kind === 'table') {
      const hit = names.map((k) => source.table.layers.get(k)).find((r) => r !== undefined);
      if (hit !== undefined) byKey.set(t.key, { ratio: hit, origin: 'table' });
      else if (source.table.default !== undefined) {
        byKey.set(t.key, { ratio: source.table.default, origin: 'table-default' });
      } else {
        byKey.set(t.key, { ratio: 1, origin: 'missing' });
        missing.push(t.key);
      }
      continue;
    }
    const m = names.map((k) => source.measured.tensors.get(k)).find((x) => x !== undefined);
    if (!m) {
      byKey.set(t.key, { ratio: 1, origin: 'missing' });
      missing.push(t.key);
      continue;
    }
    const measured = req.elementBytes === 4 ? m.ratios[req.codec]?.[req.layout] : undefined;
    if (measured !== undefined) {
      byKey.set(t.key, { ratio: measured, density: m.density, origin: 'measured' });
    } else if (req.codec === 'zvc') {
      byKey.set(t.key, {
        ratio: zvcRatio(n(t), m.density, req.elementBytes),
        density: m.density,
        origin: 'measured-density',
      });
    } else if (req.codec === 'rle') {
      byKey.set(t.key, {
        ratio: rleRatio(m.density, req.elementBytes),
        density: m.density,
        origin: 'measured-density',
      });
    } else {
      byKey.set(t.key, { ratio: 1, density: m.density, origin: 'missing' });
      missing.push(t.key);
    }
  }
  return { byKey, missing };
}

/** Post-ReLU density d for which ZVC (large-n) reaches ratio r at the given element width. */
export function densityForZvcRatio(r: number, elementBytes: 2 | 4): number {
  const max = 8 * elementBytes;
  if (!(Number.isFinite(r) && r > 0 && r <= max)) {
    throw new InvalidArgumentError(
      `ZVC ratio must be in (0, ${max}] for ${elementBytes}-byte elements, got ${r}`,
    );
  }
  return Math.min(1, Math.max(0, (max / r - 1) / max));
}
