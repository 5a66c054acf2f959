/**
 * A small seeded pseudo-random generator (mulberry32 over a splitmix32-mixed
 * seed) for shuffling and splitting data. Each call to createRng returns an
 * independent generator; nothing is global.
 */

/** Mixes a 32-bit value (splitmix32 finaliser); used to derive sub-seeds. */
export function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A generator of uint32 values. */
export type Rng = () => number;

export function createRng(seed: number, stream = 0): Rng {
  let state = mix32((seed >>> 0) ^ mix32(stream >>> 0));
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
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
