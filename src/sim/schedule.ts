/**
 * vDNN's schedule on two streams (arXiv 1602.08124, section III-C). Forward:
 * the offload of layer n's input X is issued when layer n starts, overlaps its
 * computation and is synchronised at its end (the layer stalls until the copy
 * is done); layers that offload nothing do not wait. Backward: when layer n's
 * backward starts, vDNN searches the layers below n for the closest one whose
 * offloaded X has not been prefetched yet, without searching past a
 * convolution, and prefetches it, overlapping n's backward, synchronised at
 * its end; a tensor needed but not resident is fetched before the layer runs.
 * The stop at a convolution bounds memory: at most the tensors up to the next
 * convolution are back early.
 */
import { transferRate, LIMITS, type EngineSpec, type Limit } from './engine.js';
import type { LayerTime } from './roofline.js';
import type { SimTensor } from './tensors.js';
import { policyBuffers, POLICY_NAMES, type PolicyName } from '../plan/policy.js';

/** The static policies of the plan's vocabulary (the performance model has no dyn). */
export type Policy = Exclude<PolicyName, 'dyn'>;
export const POLICIES: readonly Policy[] = POLICY_NAMES.filter((p): p is Policy => p !== 'dyn');

/** The tensors a policy offloads: nothing (none, the oracle), every offloadable one (all), conv inputs (conv). */
export function offloadedBy(policy: Policy, tensors: readonly SimTensor[]): SimTensor[] {
  return policyBuffers(
    policy,
    tensors.filter((t) => t.offloadable),
  );
}

export interface StepTimes {
  readonly index: number;
  readonly name: string;
  readonly kind: string;
  readonly forward: number;
  readonly forwardStall: number;
  readonly backward: number;
  readonly backwardStall: number;
  /** Raw bytes offloaded during this layer's forward / prefetched during its backward. */
  readonly offloadBytes: number;
  readonly prefetchBytes: number;
  /** Bytes that crossed the link (compressed). */
  readonly wireBytes: number;
  /** Limit that bound most of the transfer time of this layer's forward / backward, if any. */
  readonly forwardLimit: Limit | null;
  readonly backwardLimit: Limit | null;
}

export interface ScheduleResult {
  readonly steps: readonly StepTimes[];
  readonly computeTime: number;
  readonly forwardStall: number;
  readonly backwardStall: number;
  readonly iterationTime: number;
  readonly rawBytes: number;
  readonly wireBytes: number;
  /** Seconds of transfer bound by each limit. */
  readonly limitSeconds: Readonly<Record<Limit, number>>;
  /** Backward step (layer index) whose start brings each offloaded tensor back. */
  readonly fetchedAt: ReadonlyMap<string, number>;
}

export interface ScheduleInput {
  readonly times: readonly LayerTime[];
  readonly offloaded: readonly SimTensor[];
  /** Ratio per tensor key (1 when absent). */
  readonly ratios: ReadonlyMap<string, number>;
  readonly engine: EngineSpec;
  /** true: cDMA (compressed transfers); false: plain vDNN. */
  readonly compress: boolean;
  readonly batch: number;
  readonly elementBytes: number;
}

interface Job {
  readonly bytes: number;
  readonly ratio: number;
}

interface WindowResult {
  /** Seconds the transfers ran past the computation. */
  readonly stall: number;
  readonly limitSeconds: Record<Limit, number>;
}

const zeroLimits = (): Record<Limit, number> => ({ link: 0, dram: 0, compressor: 0, crossbar: 0 });

/** Moves `jobs` in order on the copy stream while a computation of `compute` seconds uses `computeDram` B/s. */
function runWindow(
  e: EngineSpec,
  compress: boolean,
  jobs: readonly Job[],
  compute: number,
  computeDram: number,
): WindowResult {
  const limitSeconds = zeroLimits();
  let t = 0;
  for (const job of jobs) {
    let left = job.bytes;
    while (left > 0) {
      if (t < compute) {
        const r = transferRate(e, job.ratio, computeDram, compress);
        const span = compute - t;
        if (r.bytesPerSec * span >= left) {
          const dt = left / r.bytesPerSec;
          t += dt;
          limitSeconds[r.limit] += dt;
          left = 0;
        } else {
          left -= r.bytesPerSec * span;
          limitSeconds[r.limit] += span;
          t = compute;
        }
      } else {
        const r = transferRate(e, job.ratio, 0, compress);
        const dt = left / r.bytesPerSec;
        t += dt;
        limitSeconds[r.limit] += dt;
        left = 0;
      }
    }
  }
  return { stall: Math.max(0, t - compute), limitSeconds };
}

function dominant(l: Record<Limit, number>): Limit | null {
  let best: Limit | null = null;
  for (const k of LIMITS) if (l[k] > 0 && (best === null || l[k] > l[best])) best = k;
  return best;
}

export function runSchedule(input: ScheduleInput): ScheduleResult {
  const { times, offloaded, ratios, engine, compress, batch, elementBytes } = input;
  const L = times.length;
  const job = (t: SimTensor): Job => ({
    bytes: t.elements * batch * elementBytes,
    ratio: compress ? (ratios.get(t.key) ?? 1) : 1,
  });
  const wire = (j: Job): number => j.bytes / j.ratio;
  const limitSeconds = zeroLimits();
  const add = (w: Record<Limit, number>) => {
    for (const k of LIMITS) limitSeconds[k] += w[k];
  };
  const dramRate = (bytes: number, secs: number) => (secs > 0 ? bytes / secs : 0);
  const fwdStall: number[] = new Array(L).fill(0);
  const bwdStall: number[] = new Array(L).fill(0);
  const offB: number[] = new Array(L).fill(0);
  const preB: number[] = new Array(L).fill(0);
  const wireB: number[] = new Array(L).fill(0);
  const fLim: (Limit | null)[] = new Array(L).fill(null);
  const bLim: (Limit | null)[] = new Array(L).fill(null);
  let rawBytes = 0;
  let wireBytes = 0;

  // Forward: offloads grouped by the layer they overlap, in producer order.
  for (let i = 0; i < L; i++) {
    const jobs = offloaded.filter((t) => t.offloadLayer === i).map(job);
    if (jobs.length === 0) continue;
    const w = runWindow(
      engine,
      compress,
      jobs,
      times[i].forward,
      dramRate(times[i].forwardBytes, times[i].forward),
    );
    fwdStall[i] = w.stall;
    add(w.limitSeconds);
    fLim[i] = dominant(w.limitSeconds);
    for (const j of jobs) {
      offB[i] += j.bytes;
      wireB[i] += wire(j);
    }
  }

  // Backward: layers in reverse; prefetch the next needing layer's tensors.
  const fetchedAt = new Map<string, number>();
  const pending = [...offloaded].sort((a, b) => b.firstBackwardUse - a.firstBackwardUse);
  for (let j = L - 1; j >= 0; j--) {
    const stepLimits = zeroLimits();
    // Demand fetch: needed now, not resident.
    const now = pending.filter((t) => t.firstBackwardUse >= j && !fetchedAt.has(t.key));
    let demand = 0;
    if (now.length > 0) {
      const w = runWindow(engine, compress, now.map(job), 0, 0);
      demand = w.stall;
      for (const k of LIMITS) stepLimits[k] += w.limitSeconds[k];
      for (const t of now) {
        fetchedAt.set(t.key, j);
        const jj = job(t);
        preB[j] += jj.bytes;
        wireB[j] += wire(jj);
      }
    }
    // vDNN's prefetch search: the closest layer below j that needs an offloaded
    // tensor not yet fetched, stopping at a convolution.
    let group: SimTensor[] = [];
    for (let i = j - 1; i >= 0; i--) {
      group = pending.filter((t) => t.savedBy.includes(i) && !fetchedAt.has(t.key));
      if (group.length > 0 || times[i].kind === 'conv2d') break;
    }
    let overlapStall = 0;
    if (group.length > 0) {
      const jobs = group.map(job);
      const w = runWindow(
        engine,
        compress,
        jobs,
        times[j].backward,
        dramRate(times[j].backwardBytes, times[j].backward),
      );
      overlapStall = w.stall;
      for (const k of LIMITS) stepLimits[k] += w.limitSeconds[k];
      group.forEach((t, n) => {
        fetchedAt.set(t.key, j);
        preB[j] += jobs[n].bytes;
        wireB[j] += wire(jobs[n]);
      });
    }
    bwdStall[j] = demand + overlapStall;
    add(stepLimits);
    bLim[j] = dominant(stepLimits);
  }

  const steps: StepTimes[] = times.map((t, i) => {
    rawBytes += offB[i] + preB[i];
    wireBytes += wireB[i];
    return {
      index: i,
      name: t.name,
      kind: t.kind,
      forward: t.forward,
      forwardStall: fwdStall[i],
      backward: t.backward,
      backwardStall: bwdStall[i],
      offloadBytes: offB[i],
      prefetchBytes: preB[i],
      wireBytes: wireB[i],
      forwardLimit: fLim[i],
      backwardLimit: bLim[i],
    };
  });
  const computeTime = times.reduce((a, t) => a + t.forward + t.backward, 0);
  const forwardStall = fwdStall.reduce((a, b) => a + b, 0);
  const backwardStall = bwdStall.reduce((a, b) => a + b, 0);
  return {
    steps,
    computeTime,
    forwardStall,
    backwardStall,
    iterationTime: computeTime + forwardStall + backwardStall,
    rawBytes,
    wireBytes,
    limitSeconds,
    fetchedAt,
  };
}
