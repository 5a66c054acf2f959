/**
 * The dyn policy (vDNN_dyn): profile one step with every saved activation
 * offloaded (the memory-safest configuration), then pick the fastest offload
 * set whose estimated peak fits the budget. Candidates are none, conv, all
 * and a greedy series that starts from nothing and keeps adding the tensor
 * whose offload costs the least time among those that lower the peak, until
 * the peak fits. Each candidate's step time is predicted by replaying the
 * profiled per-layer compute times and per-tensor transfer times through the
 * same schedule the manager runs (offload from the first saver, synchronise
 * at the last, prefetch `prefetchAhead` layers ahead on one engine).
 */
import { backwardOrder, prefetchWindow, type ModelPlan, type SavedBuffer } from '../plan/index.js';
import { defaultDeviceBytes, fitsEstimate } from './budget.js';
import type { StepStats } from './stats.js';

export interface GroupCost {
  /** Engine time of its offload / prefetch in the profiled step. */
  readonly offloadMs: number;
  readonly prefetchMs: number;
  readonly rawBytes: number;
}

export interface DynCandidate {
  readonly name: string;
  readonly plan: readonly string[];
  readonly predictedMs: number;
  readonly peakBytes: number;
  readonly fits: boolean;
}

export interface DynChoice extends DynCandidate {
  readonly budgetBytes: number;
  readonly candidates: readonly DynCandidate[];
}

export interface DynInput {
  readonly plan: ModelPlan;
  readonly batch: number;
  readonly config: { readonly budgetBytes?: number; readonly prefetchAhead: number };
  readonly budgetPlan: { readonly baseBytes: number } | undefined;
  readonly groupCosts: ReadonlyMap<string, GroupCost>;
}

/** Predicted step time of `plan` from a profile (per-layer compute, per-group transfers). */
export function predictStepMs(
  profile: StepStats,
  buffers: readonly SavedBuffer[],
  costs: ReadonlyMap<string, GroupCost>,
  plan: ReadonlySet<string>,
  prefetchAhead: number,
): number {
  const L = profile.layers.length;
  let copyBytes = 0;
  let copyMs = 0;
  for (const l of profile.layers) {
    copyMs += l.copyOutMs + l.copyInMs;
    copyBytes += 2 * l.offloadedRawBytes;
  }
  const msPerByte = copyBytes > 0 ? copyMs / copyBytes : 0;
  const chosen = buffers.filter((g) => plan.has(g.key));
  const cost = (g: SavedBuffer) => costs.get(g.key) ?? { offloadMs: 0, prefetchMs: 0, rawBytes: 0 };
  const offEnd = new Map<string, number>();
  let t = 0;
  let engine = 0;
  for (let i = 0; i < L; i++) {
    const start = t;
    let copy = 0;
    let sync = 0;
    for (const g of chosen) {
      const c = cost(g);
      if (g.firstSave === i) {
        copy += c.rawBytes * msPerByte;
        engine = Math.max(engine, start + copy) + c.offloadMs;
        offEnd.set(g.key, engine);
      }
    }
    for (const g of chosen) if (g.lastSave === i) sync = Math.max(sync, offEnd.get(g.key) ?? 0);
    t = Math.max(start + profile.layers[i].forwardMs + copy, sync);
  }
  const order = backwardOrder(chosen.map((g) => g.lastSave));
  const ready = new Map<string, number>();
  for (let i = L - 1; i >= 0; i--) {
    const start = t;
    const want = prefetchWindow(order, i, prefetchAhead);
    for (const g of chosen) {
      if (!ready.has(g.key) && want.has(g.lastSave)) {
        engine = Math.max(engine, start, offEnd.get(g.key) ?? 0) + cost(g).prefetchMs;
        ready.set(g.key, engine);
      }
    }
    let need = start;
    let copy = 0;
    for (const g of chosen) {
      if (g.lastSave === i) {
        need = Math.max(need, ready.get(g.key) ?? start);
        copy += cost(g).rawBytes * msPerByte;
      }
    }
    t = need + copy + profile.layers[i].backwardMs;
  }
  return t;
}

export function chooseDynPlan(m: DynInput, profile: StepStats): DynChoice {
  const budget = m.config.budgetBytes ?? defaultDeviceBytes();
  const base = m.budgetPlan?.baseBytes ?? 0;
  const ahead = m.config.prefetchAhead;
  const buffers = m.plan.deviceBuffers;
  const evaluate = (name: string, plan: ReadonlySet<string>): DynCandidate => {
    const estimate = m.plan.peak(plan, m.batch, base);
    return {
      name,
      plan: [...plan],
      predictedMs: predictStepMs(profile, buffers, m.groupCosts, plan, ahead),
      peakBytes: estimate.peakBytes,
      fits: fitsEstimate(estimate, m.config.budgetBytes),
    };
  };
  const candidates: DynCandidate[] = [
    evaluate('none', m.plan.offloadSet('none')),
    evaluate('conv', m.plan.offloadSet('conv')),
    evaluate('all', m.plan.offloadSet('all')),
  ];
  // Greedy: add the cheapest peak-lowering tensor until the peak fits.
  const plan = new Set<string>();
  let cur = candidates[0];
  while (!cur.fits && plan.size < buffers.length) {
    let best: DynCandidate | undefined;
    let bestKey = '';
    for (const g of buffers) {
      if (plan.has(g.key)) continue;
      plan.add(g.key);
      const c = evaluate('', plan);
      plan.delete(g.key);
      const lowers = c.peakBytes < cur.peakBytes;
      const better =
        best === undefined ||
        (lowers && !(best.peakBytes < cur.peakBytes)) ||
        (lowers === best.peakBytes < cur.peakBytes &&
          (c.predictedMs < best.predictedMs ||
            (c.predictedMs === best.predictedMs && c.peakBytes < best.peakBytes)));
      if (better) {
        best = c;
        bestKey = g.key;
      }
    }
    plan.add(bestKey);
    cur = { ...best!, name: `greedy(${plan.size})` };
  }
  if (plan.size > 0) candidates.push(cur);
  const fitting = candidates.filter((c) => c.fits);
  const pool = fitting.length > 0 ? fitting : [candidates[2]];
  const pick = pool.reduce((a, b) =>
    b.predictedMs < a.predictedMs ||
    (b.predictedMs === a.predictedMs && b.plan.length < a.plan.length)
      ? b
      : a,
  );
  return { ...pick, budgetBytes: budget, candidates };
}
