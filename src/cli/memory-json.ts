/**
 * The memory part of `cdma train --json`: the numbers the text summary
 * (src/memory/summary.ts, formatMemorySummary) prints, read through the
 * memory manager's stats (its config, plan name, per-step StepStats and
 * budget plan), as numbers instead of text.
 */
import type { MemoryManager } from '../memory/manager.js';
import { median } from '../memory/stats.js';

export interface MemoryJson {
  /** The offload set that ran: none, all, conv, or dyn's choice (e.g. 'dyn:conv'). */
  readonly policy: string;
  /** Whether a memory manager ran (any memory option other than the defaults). */
  readonly managed: boolean;
  readonly codec: { readonly id: string; readonly params?: unknown } | null;
  /** bytesPerSecond is null for the unlimited link. */
  readonly link: {
    readonly name: string;
    readonly bytesPerSecond: number | null;
    readonly latencySeconds: number;
  } | null;
  /** 'ram', or the spill folder. */
  readonly hostStore: string | null;
  readonly prefetchAhead: number | null;
  readonly budgetBytes: number | null;
  /** Steps the numbers below cover: every step after the first (all of them when there are at most two). */
  readonly stepsMeasured: number;
  /** Medians per step over those steps. */
  readonly offloadedBytesPerStep: number;
  readonly linkBytesPerStep: number;
  readonly stallMsPerStep: number;
  readonly transferMsPerStep: number;
  readonly computeMsPerStep: number;
  /** Sums over those steps: bytes offloaded (uncompressed) and sent over the link (compressed). */
  readonly offloadedBytes: number;
  readonly linkBytes: number;
  /** Time the steps waited for transfers, summed. */
  readonly stallMs: number;
  /** offloadedBytes / linkBytes; null when nothing was offloaded. */
  readonly ratio: number | null;
  /** Non-zero fraction of the offloaded elements; null when nothing was offloaded. */
  readonly density: number | null;
  /** The budget planner's estimated peaks per static policy, when there was a budget plan. */
  readonly estimatedPeakBytes: {
    readonly none: number;
    readonly conv: number;
    readonly all: number;
  } | null;
}

/** What a run without a memory manager reports: nothing left the device, nothing waited. */
const UNMANAGED: MemoryJson = {
  policy: 'none',
  managed: false,
  codec: null,
  link: null,
  hostStore: null,
  prefetchAhead: null,
  budgetBytes: null,
  stepsMeasured: 0,
  offloadedBytesPerStep: 0,
  linkBytesPerStep: 0,
  stallMsPerStep: 0,
  transferMsPerStep: 0,
  computeMsPerStep: 0,
  offloadedBytes: 0,
  linkBytes: 0,
  stallMs: 0,
  ratio: null,
  density: null,
  estimatedPeakBytes: null,
};

/** The memory summary of a run as JSON; `m` undefined: the run had no memory manager. */
export function memoryJson(m: MemoryManager | undefined): MemoryJson {
  if (m === undefined) return UNMANAGED;
  const c = m.config;
  // The same steps as formatMemorySummary: the first step (warm-up, profiling) is left out.
  const steps = m.steps.length > 2 ? m.steps.slice(1) : m.steps;
  const sum = (f: (s: (typeof steps)[number]) => number) => steps.reduce((a, s) => a + f(s), 0);
  const med = (f: (s: (typeof steps)[number]) => number) =>
    steps.length > 0 ? median(steps.map(f)) : 0;
  const raw = sum((s) => s.offloadedRawBytes);
  const link = sum((s) => s.offloadedLinkBytes);
  const elements = sum((s) => s.offloadedElements);
  const e = m.budgetPlan?.estimates;
  return {
    policy: m.planName,
    managed: true,
    codec:
      c.codec.params === undefined
        ? { id: c.codec.id }
        : { id: c.codec.id, params: c.codec.params },
    link: {
      name: c.link.name,
      bytesPerSecond: Number.isFinite(c.link.bytesPerSecond) ? c.link.bytesPerSecond : null,
      latencySeconds: c.link.latencySeconds,
    },
    hostStore: c.hostStore.kind === 'ram' ? 'ram' : c.hostStore.dir,
    prefetchAhead: c.prefetchAhead,
    budgetBytes: c.budgetBytes ?? null,
    stepsMeasured: steps.length,
    offloadedBytesPerStep: med((s) => s.offloadedRawBytes),
    linkBytesPerStep: med((s) => s.offloadedLinkBytes),
    stallMsPerStep: med((s) => s.stallMs),
    transferMsPerStep: med((s) => s.transferMs),
    computeMsPerStep: med((s) => s.computeMs),
    offloadedBytes: raw,
    linkBytes: link,
    stallMs: sum((s) => s.stallMs),
    ratio: link > 0 ? raw / link : null,
    density: elements > 0 ? sum((s) => s.offloadedNonZero) / elements : null,
    estimatedPeakBytes:
      e === undefined
        ? null
        : { none: e.none.peakBytes, conv: e.conv.peakBytes, all: e.all.peakBytes },
  };
}
