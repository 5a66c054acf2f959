/**
 * Timing helpers for the demo and the codec benchmark: medians of several
 * runs after warm-up, and throughput in GB/s (10^9 bytes per second).
 */

/** Seconds `fn` takes, once. */
export function timeOnce(fn: () => unknown): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Median of `xs` (mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median seconds of `runs` calls of `fn` after `warmup` untimed calls. */
export function medianSeconds(fn: () => unknown, runs: number, warmup = 1): number {
  for (let i = 0; i < warmup; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) t.push(timeOnce(fn));
  return median(t);
}

/** GB/s for `bytes` moved in `seconds`. */
export function gbPerSecond(bytes: number, seconds: number): number {
  return bytes / seconds / 1e9;
}
