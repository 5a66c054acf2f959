/**
 * Seeded random numbers, one module for the whole of cdma. Nothing is
 * global: every generator is a value or a pure function of its seed.
 *
 * Two families, kept apart because pinned results depend on each:
 * - counter-based (weights initialisation, dropout masks): value i of
 *   stream (seed, key) is a hash of (seed, key, i), drawn in any order with
 *   no state; the mixer is Chris Wellons' lowbias32 integer hash;
 * - sequential mulberry32 generators (data order, sample tensors): a state
 *   advanced per draw, seeded through the splitmix32 finaliser for data.
 */

/** lowbias32 (Chris Wellons): a 32-bit integer hash with good avalanche. */
export function lowbias32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** splitmix32's finaliser over x + golden ratio: derives sub-seeds. */
export function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** FNV-1a hash of a string: turns names (parameter, layer) into stream keys. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// Counter-based streams.

/** The starting state of stream `key` under `seed` (both any 32-bit integers). */
export function streamKey(seed: number, key: number): number {
  return lowbias32(lowbias32(seed >>> 0) ^ lowbias32((key ^ 0x9e3779b9) >>> 0));
}

/** Uniform 32-bit integer number `i` of a stream. */
export function randomU32(stream: number, i: number): number {
  // Counters past 2^32 fold their high part in, so long streams do not wrap.
  const hi = Math.floor(i / 0x100000000);
  return lowbias32(lowbias32((stream ^ lowbias32(hi)) + (i >>> 0)) ^ stream);
}

/** Uniform in [0, 1) with 24 random bits (exact in float32). */
export function uniform01(stream: number, i: number): number {
  return (randomU32(stream, i) >>> 8) / 16777216;
}

/** Fills `out` with uniforms in [lo, hi) drawn from counters offset.. of the stream. */
export function fillUniform(
  out: Float32Array,
  stream: number,
  lo: number,
  hi: number,
  offset = 0,
): void {
  const span = hi - lo;
  for (let i = 0; i < out.length; i++) out[i] = lo + span * uniform01(stream, offset + i);
}

/** Fills `out` with normal(0, std) samples (Box-Muller on pairs of counters). */
export function fillNormal(out: Float32Array, stream: number, std: number): void {
  for (let i = 0; i < out.length; i += 2) {
    // u1 in (0, 1] so the logarithm is finite.
    const u1 = 1 - uniform01(stream, i);
    const u2 = uniform01(stream, i + 1);
    const r = std * Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
}

// Sequential generators.

/** A generator of uint32 values. */
export type Rng = () => number;

/** mulberry32 (Tommy Ettinger) from the 32-bit state `state`. */
export function mulberry32(state: number): Rng {
  let a = state | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** An independent generator for data order: mulberry32 seeded by splitmix32 of (seed, stream). */
export function createRng(seed: number, stream = 0): Rng {
  return mulberry32(splitmix32((seed >>> 0) ^ splitmix32(stream >>> 0)));
}

/** Uniform numbers in [0, 1): mulberry32 straight from `seed` (sample tensors). */
export function seededRandom(seed: number): () => number {
  const next = mulberry32(seed >>> 0);
  return () => next() / 4294967296;
}

/** A uniform integer in [0, n) for n <= 2^32, without modulo bias. */
export function randomBelow(rng: Rng, n: number): number {
  const limit = 0x100000000 - (0x100000000 % n);
  let r = rng();
  while (r >= limit) r = rng();
  return r % n;
}

/** Fisher-Yates shuffle in place. */
export function shuffleInPlace(a: Uint32Array | number[], rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomBelow(rng, i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/** A seeded random permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  shuffleInPlace(p, rng);
  return p;
}
