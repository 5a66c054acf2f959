/**
 * vDNN_dyn (arXiv 1602.08124, section III-D): profile the network once, then
 * train with the fastest configuration that fits the GPU. The paper tries,
 * in order: vDNN_all with memory-optimal convolutions (the least memory; if
 * even that does not fit, the network cannot be trained), no offloading with
 * performance-optimal convolutions, vDNN_conv and vDNN_all with
 * performance-optimal convolutions, and finally vDNN_conv and vDNN_all with
 * a greedy mix: performance-optimal convolutions except where their workspace
 * makes the run too big. Every configuration runs under vDNN's memory
 * manager (layer-wise allocation), so even "no offloading" needs less than
 * the network-wide baseline.
 *
 * The greedy step here: conv layers are switched to memory-optimal from the
 * largest workspace down, as few as make the run fit (found by bisection).
 */
import { simulate, type SimConfig, type SimResult } from './simulate.js';
import type { AlgoChoice } from './conv-algos.js';
import type { Policy } from './schedule.js';

export interface DynTrial {
  /** e.g. 'all(m)', 'none(p)', 'conv(greedy: 3 layers memory-optimal)'. */
  readonly label: string;
  readonly policy: Policy;
  readonly algo: AlgoChoice;
  /** Conv layers run memory-optimal under a performance-optimal run (greedy step). */
  readonly memoryOptimalLayers: readonly string[];
  readonly fits: boolean;
  readonly result: SimResult;
}

export interface DynResult {
  /** Every configuration tried, in the paper's order. */
  readonly trials: readonly DynTrial[];
  /** The fastest that fits; null when not even all(m) fits (the network cannot be trained). */
  readonly chosen: DynTrial | null;
}

export type DynConfig = Omit<SimConfig, 'policy' | 'algo' | 'memoryOptimal'>;

function trial(
  c: DynConfig,
  policy: Policy,
  algo: AlgoChoice,
  memoryOptimal: ReadonlySet<number> = new Set(),
  label = `${policy}(${algo === 'memory' ? 'm' : 'p'})`,
): DynTrial {
  const result = simulate({ ...c, policy, algo, memoryOptimal });
  return {
    label,
    policy,
    algo,
    memoryOptimalLayers: [...memoryOptimal].sort((a, b) => a - b).map((i) => result.times[i].name),
    fits: result.vdnn.fits,
    result,
  };
}

/** The greedy step: the fewest largest-workspace conv layers run memory-optimal so that `policy` fits. */
function greedy(c: DynConfig, policy: 'conv' | 'all', fast: DynTrial): DynTrial | null {
  const byWorkspace = fast.result.times
    .filter((t) => t.algos !== null && Math.max(t.forwardWorkspace, t.backwardWorkspace) > 0)
    .sort(
      (a, b) =>
        Math.max(b.forwardWorkspace, b.backwardWorkspace) -
          Math.max(a.forwardWorkspace, a.backwardWorkspace) || a.index - b.index,
    )
    .map((t) => t.index);
  const run = (k: number) =>
    trial(
      c,
      policy,
      'performance',
      new Set(byWorkspace.slice(0, k)),
      `${policy}(greedy: ${k} layer${k === 1 ? '' : 's'} memory-optimal)`,
    );
  if (byWorkspace.length === 0) return null;
  const all = run(byWorkspace.length);
  if (!all.fits) return null;
  let lo = 0; // does not fit (the plain performance-optimal run)
  let hi = byWorkspace.length; // fits
  let best = all;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    const t = run(mid);
    if (t.fits) {
      hi = mid;
      best = t;
    } else lo = mid;
  }
  return best;
}

export function simulateDyn(c: DynConfig): DynResult {
  const trials: DynTrial[] = [];
  const allM = trial(c, 'all', 'memory');
  trials.push(allM);
  if (!allM.fits) return { trials, chosen: null };
  const noneP = trial(c, 'none', 'performance');
  const convP = trial(c, 'conv', 'performance');
  const allP = trial(c, 'all', 'performance');
  trials.push(noneP, convP, allP);
  if (!noneP.fits && !convP.fits && !allP.fits) {
    for (const [policy, fast] of [
      ['conv', convP],
      ['all', allP],
    ] as const) {
      const g = greedy(c, policy, fast);
      if (g) trials.push(g);
    }
  }
  const fitting = trials.filter((t) => t.fits);
  const chosen = fitting.reduce((a, b) =>
    b.result.vdnn.schedule.iterationTime < a.result.vdnn.schedule.iterationTime ? b : a,
  );
  return { trials, chosen };
}
