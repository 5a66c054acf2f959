/**
 * Seeded sparse test data: the one generator of arrays with a given fraction
 * of non-zeros, for codec, container, transfer and CLI tests (and benches).
 */
import { seededRandom } from '../../src/random.js';

/** float32 bit patterns that must survive bit-exactly (zero first). */
export const SPECIAL32 = [
  0x00000000, // +0
  0x80000000, // -0.0: non-zero bits
  0x7fc00000, // quiet NaN
  0x7f800001, // signalling NaN with payload
  0xffc12345, // negative NaN with payload
  0x7f800000, // +Infinity
  0xff800000, // -Infinity
  0x00000001, // smallest denormal
  0x807fffff, // largest negative denormal
  0x3f800000, // 1.0
  0x00000100, // a word whose low byte is zero
  0x01000000, // a word whose high byte alone is set
];

/** float16 / bfloat16 bit patterns (zero first). */
export const SPECIAL16 = [
  0x0000, // +0
  0x8000, // -0.0
  0x7e00, // f16 quiet NaN
  0x7c01, // f16 signalling NaN
  0x7fc0, // bf16 quiet NaN
  0xff81, // bf16 negative NaN with payload
  0x7c00, // f16 +Infinity
  0xfc00, // f16 -Infinity
  0x7f80, // bf16 +Infinity
  0x0001, // smallest denormal
  0x83ff, // negative f16 denormal
  0x3c00, // f16 1.0
  0x0100, // low byte zero
];

export interface SparseOptions {
  /** Fraction of elements with non-zero bits (each independently), 0..1. */
  readonly density: number;
  readonly seed: number;
  /** Fraction of the non-zeros drawn from the special patterns (-0, NaN, Inf, denormals). Default 0. */
  readonly special?: number;
  /** Back the array with a SharedArrayBuffer (for transfers to a worker). */
  readonly shared?: boolean;
}

/**
 * n seeded elements of width `eb` bytes (little-endian), each non-zero with
 * probability `density`; non-zeros are random bit patterns (never all-zero),
 * a `special` fraction of them special ones.
 */
export function sparseElements(n: number, eb: 2 | 4, o: SparseOptions): Uint8Array {
  const rand = seededRandom(o.seed);
  const specials = (eb === 4 ? SPECIAL32 : SPECIAL16).slice(1);
  const special = o.special ?? 0;
  const buf = o.shared ? new SharedArrayBuffer(n * eb) : new ArrayBuffer(n * eb);
  const out = new Uint8Array(buf);
  const dv = new DataView(buf);
  for (let i = 0; i < n; i++) {
    let w = 0;
    if (rand() < o.density) {
      if (special > 0 && rand() < special) w = specials[Math.floor(rand() * specials.length)];
      else w = Math.floor(rand() * (eb === 4 ? 2 ** 32 : 2 ** 16)) || 1;
    }
    if (eb === 4) dv.setUint32(i * 4, w >>> 0, true);
    else dv.setUint16(i * 2, w & 0xffff, true);
  }
  return out;
}

/**
 * n seeded float32 values, each non-zero with probability `density`:
 * ReLU-like magnitudes in (0, 4), or with `special` some -0, NaN, Inf and
 * denormals among the non-zeros.
 */
export function sparseFloat32(n: number, o: SparseOptions): Float32Array {
  const rand = seededRandom(o.seed);
  const special = o.special ?? 0;
  const out = new Float32Array(o.shared ? new SharedArrayBuffer(n * 4) : new ArrayBuffer(n * 4));
  const bits = new Uint32Array(out.buffer);
  const specials = SPECIAL32.slice(1);
  for (let i = 0; i < n; i++) {
    if (rand() >= o.density) continue;
    if (special > 0 && rand() < special) bits[i] = specials[Math.floor(rand() * specials.length)];
    else out[i] = 4 * rand() || 1;
  }
  return out;
}

/**
 * A seeded ReLU-like NHWC tensor [n, h, w, c]: smooth waves over position
 * and channel plus noise, clipped at zero, so zeros cluster by channel and
 * position (as real activations do; layouts then compress differently).
 */
export function reluLikeNhwc(n: number, h: number, w: number, c: number, seed = 1): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(n * h * w * c);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) {
          const v = Math.sin(x * 0.7 + k) + Math.cos(y * 0.5 + i) + rand() - 0.9;
          out[((i * h + y) * w + x) * c + k] = v > 0 ? v : 0;
        }
  return out;
}
