/**
 * A small counter-based random generator: value i of stream (seed, key) is
 * a hash of (seed, key, i), so any element can be drawn independently, in
 * any order, with no state carried between draws (nothing global, nothing
 * shared between layers or steps). The mixer is Chris Wellons' "lowbias32"
 * integer hash; three rounds decorrelate nearby seeds, keys and counters.
 */

/** A 32-bit integer hash with good avalanche (lowbias32). */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
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

/** The starting state of stream `key` under `seed` (both any 32-bit integers). */
export function streamKey(seed: number, key: number): number {
  return mix32(mix32(seed >>> 0) ^ mix32((key ^ 0x9e3779b9) >>> 0));
}

/** Uniform 32-bit integer number `i` of a stream. */
export function randomU32(stream: number, i: number): number {
  // Counters past 2^32 fold their high part in, so long streams do not wrap.
  const hi = Math.floor(i / 0x100000000);
  return mix32(mix32((stream ^ mix32(hi)) + (i >>> 0)) ^ stream);
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
