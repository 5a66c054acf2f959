/**
 * The device-memory budget. Before the first step the manager estimates the
 * peak device bytes of each policy from the model plan (src/plan/peak.ts: no
 * tensor is touched) and stops with a DeviceMemoryError that names the
 * layer, the bytes and a policy that would fit when the chosen one cannot
 * stay under `--budget`. The estimate adds, to what the plan's timeline
 * counts, the bytes already resident when the first step begins
 * (parameters, the batch) and the optimiser's state; the plan's estimate
 * includes each layer's kernel temporaries (what --budget counts) and, for
 * the heap, keeps FRAGMENTATION_MARGIN of it free for its fragmentation
 * (docs/MEMORY.md, "The budget").
 */
import { DeviceMemoryError } from '../errors.js';
import * as tf from '@tensorflow/tfjs-core';
import {
  DEFAULT_DEVICE_LIMIT_BYTES,
  defaultDeviceLimitBytes,
  hasHeapLimit,
} from '../nn/device-limit.js';
import { FRAGMENTATION_MARGIN, type ModelPlan, type PeakEstimate } from '../plan/index.js';
import { formatBytes } from '../io/sizes.js';

/**
 * Device capacity assumed without --budget on the active backend: the
 * executor's default limit (below the wasm heap's end; none on webgpu).
 */
export function defaultDeviceBytes(): number {
  return defaultDeviceLimitBytes(tf.getBackend());
}

export interface BudgetPlan {
  readonly budgetBytes: number | undefined;
  /** Device bytes resident through every step: what was there when the first began, plus optimiser state. */
  readonly baseBytes: number;
  readonly estimates: Readonly<Record<'none' | 'conv' | 'all', PeakEstimate>>;
  /** The estimate for the offload set the manager runs first. */
  readonly chosen: PeakEstimate;
  readonly fitsWithoutOffload: boolean;
}

export interface BudgetInput {
  readonly plan: ModelPlan;
  readonly batch: number;
  readonly config: { readonly policy: string; readonly budgetBytes?: number };
  /** The buffers the manager offloads first. */
  readonly offloaded: ReadonlySet<string>;
}

const F32 = 4;

/**
 * Device bytes that persist across steps but may not exist yet when the
 * first step begins: the optimiser's momentum buffers (one per parameter).
 */
export function optimizerBytes(plan: ModelPlan): number {
  return plan.analysis.params * F32;
}

/** The heap a step may need: the executor's default limit, below the wasm heap's end. */
export const HEAP_LIMIT_BYTES = DEFAULT_DEVICE_LIMIT_BYTES;

/**
 * Whether an estimate fits: its device bytes (tensors and kernel
 * temporaries) within the budget (the device limit without one), and, where
 * device memory is the wasm heap, the heap it needs with the fragmentation
 * margin within the heap's limit (webgpu's GPU memory has neither).
 */
export function fitsEstimate(e: PeakEstimate, budgetBytes: number | undefined): boolean {
  const backend = tf.getBackend();
  return (
    e.peakBytes <= (budgetBytes ?? defaultDeviceLimitBytes(backend)) &&
    (!hasHeapLimit(backend) || e.heapBytes <= HEAP_LIMIT_BYTES)
  );
}

/**
 * Estimates every static policy and, with a budget, checks the one chosen;
 * throws DeviceMemoryError (naming the layer, the bytes and a policy that
 * fits, if any) when it cannot stay under the budget, or when the heap it
 * needs (with the fragmentation margin) passes the heap's limit.
 */
export function planBudget(m: BudgetInput, residentBytes: number): BudgetPlan {
  const baseBytes = residentBytes + optimizerBytes(m.plan);
  const est = (p: 'none' | 'conv' | 'all') => m.plan.peak(m.plan.offloadSet(p), m.batch, baseBytes);
  const estimates = { none: est('none'), conv: est('conv'), all: est('all') };
  const budget = m.config.budgetBytes;
  // Without --budget the device itself is the limit (the executor refuses past it).
  const limit = budget ?? defaultDeviceBytes();
  const policy = m.config.policy;
  const chosen = policy === 'dyn' ? estimates.all : m.plan.peak(m.offloaded, m.batch, baseBytes);
  const fits = (e: PeakEstimate) => fitsEstimate(e, budget);
  const fitsWithoutOffload = fits(estimates.none);
  if (!fits(chosen)) {
    const fitting = (['none', 'conv', 'all'] as const).filter((p) => fits(estimates[p]));
    const what =
      policy === 'dyn'
        ? 'even with every activation offloaded (policy dyn)'
        : `for policy ${policy}`;
    // Which limit it passes: the budget (device bytes) or the heap (with the margin).
    const overBudget = chosen.peakBytes > limit;
    const limitName = overBudget
      ? budget !== undefined
        ? `budget ${formatBytes(limit)}`
        : `the device limit ${formatBytes(limit)}`
      : `the wasm heap's limit ${formatBytes(HEAP_LIMIT_BYTES)}`;
    const size = (e: PeakEstimate) => formatBytes(overBudget ? e.peakBytes : e.heapBytes);
    const need = overBudget
      ? `layer ${chosen.layer} (${chosen.phase}) needs about ${size(chosen)} of device memory`
      : `layer ${chosen.layer} (${chosen.phase}) needs about ${size(chosen)} of heap`;
    const best = fitting[0];
    const raise = budget !== undefined && overBudget ? 'raise --budget' : 'lower --batch';
    const advice =
      best !== undefined
        ? `policy ${best} would fit (about ${size(estimates[best])}): use --policy ${best}` +
          (budget !== undefined && overBudget
            ? `, or raise --budget to at least ${formatBytes(chosen.peakBytes)}`
            : '')
        : `no policy fits (with everything offloaded about ${size(estimates.all)} at layer ${estimates.all.layer}): ${raise}${raise === 'raise --budget' ? ' or lower --batch' : ''}`;
    // What the figure is made of: a reader who compares it with the tensors
    // alone (cdma train's peak device bytes) should not be surprised.
    const parts =
      `(the estimate: ${formatBytes(chosen.peakBytes - chosen.temporaryBytes)} of tensors and ` +
      `${formatBytes(chosen.temporaryBytes)} of kernel temporaries at that layer` +
      (overBudget
        ? ')'
        : `, with ${Math.round(FRAGMENTATION_MARGIN * 100)}% of the heap kept free for its fragmentation)`);
    throw new DeviceMemoryError(`${limitName} is too small ${what}: ${need}; ${advice} ${parts}`);
  }
  return { budgetBytes: budget, baseBytes, estimates, chosen, fitsWithoutOffload };
}
