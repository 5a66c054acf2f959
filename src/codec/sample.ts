/**
 * Seeded ReLU-like activation tensors for the demo, the benchmark and tests:
 * non-negative float32 values with a chosen density of exact zeros, either
 * independent per element ('iid') or spatially clustered ('clustered': a
 * smoothed random field per H x W map, thresholded per map so each map has
 * the target density; what survives is field - threshold, as a ReLU after a
 * convolution would leave).
 */
import { InvalidArgumentError } from '../errors.js';
import { seededRandom } from './rng.js';

export type ZeroPattern = 'iid' | 'clustered';

export interface SampleOptions {
  /** [N, C, H, W]. */
  readonly shape: readonly [number, number, number, number];
  /** Fraction of non-zero elements, 0..1. */
  readonly density: number;
  readonly pattern: ZeroPattern;
  readonly seed: number;
  /** Box-blur radius of the clustered field (two passes); default 2. */
  readonly radius?: number;
}

/** A seeded ReLU-like tensor in NCHW order. */
export function reluSample(o: SampleOptions): Float32Array {
  const [n, c, h, w] = o.shape;
  if (!o.shape.every((d) => Number.isSafeInteger(d) && d > 0))
    throw new InvalidArgumentError(`sample shape [${o.shape.join(', ')}] needs positive integers`);
  if (!(o.density >= 0 && o.density <= 1))
    throw new InvalidArgumentError(`sample density ${o.density} is not in 0..1`);
  const rand = seededRandom(o.seed);
  const out = new Float32Array(n * c * h * w);
  if (o.pattern === 'iid') {
    for (let i = 0; i < out.length; i++) {
      // Exponential magnitudes; the 1e-3 floor keeps a kept element non-zero.
      if (rand() < o.density) out[i] = 1e-3 - Math.log(1 - rand());
    }
    return out;
  }
  const hw = h * w;
  const field = new Float64Array(hw);
  const tmp = new Float64Array(hw);
  const sorted = new Float64Array(hw);
  const keep = Math.round(o.density * hw);
  const radius = o.radius ?? 2;
  for (let m = 0; m < n * c; m++) {
    for (let i = 0; i < hw; i++) field[i] = rand();
    for (let pass = 0; pass < 2; pass++) {
      blurRows(field, tmp, h, w, radius);
      blurCols(tmp, field, h, w, radius);
    }
    sorted.set(field);
    sorted.sort();
    const t = keep === hw ? -Infinity : keep === 0 ? Infinity : sorted[hw - keep - 1];
    const base = m * hw;
    for (let i = 0; i < hw; i++) {
      const v = field[i] - t;
      // Scale to a typical activation range; v > 0 stays > 0 in float32.
      if (v > 0) out[base + i] = keep === hw ? 1e-3 + field[i] * 8 : v * 8;
    }
  }
  return out;
}

function blurRows(src: Float64Array, dst: Float64Array, h: number, w: number, r: number): void {
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let s = 0;
      let k = 0;
      for (let d = Math.max(0, x - r); d <= Math.min(w - 1, x + r); d++, k++) s += src[row + d];
      dst[row + x] = s / k;
    }
  }
}

function blurCols(src: Float64Array, dst: Float64Array, h: number, w: number, r: number): void {
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      let s = 0;
      let k = 0;
      for (let d = Math.max(0, y - r); d <= Math.min(h - 1, y + r); d++, k++) s += src[d * w + x];
      dst[y * w + x] = s / k;
    }
  }
}
