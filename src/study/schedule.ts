/**
 * When a study records: every K steps (step indices 0, K, 2K, ...) and at
 * the last step, so the end of training is always in the series. Activation
 * maps are drawn at a few of those steps, spread from the first to the last.
 * Both depend only on (steps, every, maps), so a resumed study keeps them.
 */

/** Whether step index `step` (0-based) of `steps` is recorded. */
export function isRecordStep(step: number, steps: number, every: number): boolean {
  return step % every === 0 || step === steps - 1;
}

/** All recorded step indices in order. */
export function recordSteps(steps: number, every: number): number[] {
  const out: number[] = [];
  for (let s = 0; s < steps; s += every) out.push(s);
  if (steps > 0 && out[out.length - 1] !== steps - 1) out.push(steps - 1);
  return out;
}

/** The recorded steps that get activation maps: `maps` of them, evenly spread, first and last included. */
export function mapSteps(steps: number, every: number, maps: number): Set<number> {
  const rec = recordSteps(steps, every);
  const k = Math.min(maps, rec.length);
  const out = new Set<number>();
  for (let i = 0; i < k; i++) {
    out.add(rec[k === 1 ? 0 : Math.round((i * (rec.length - 1)) / (k - 1))]);
  }
  return out;
}
