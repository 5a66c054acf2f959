/**
 * The device-memory budget. Before the first step the manager estimates the
 * peak device bytes of each policy from the model analysis (no tensor is
 * touched) and stops with a DeviceMemoryError that names the layer, the bytes
 * and a policy that would fit when the chosen one cannot stay under
 * `--budget`.
 *
 * The estimate replays one training step over a timeline of 2L positions
 * (forward of layers 0..L-1, then backward of L-1..0) and adds up what is on
 * the device at each position, on top of the bytes already resident when the
 * first step begins (parameters, optimizer state, the batch):
 * - a layer's output, from its forward until its last forward consumer ends;
 * - a saved tensor kept on the device, until the backward of the first layer
 *   that saved it; an offloaded one, until its offload is synchronised (the
 *   end of the last layer that saves it), and again from the backward of that
 *   layer (where it is brought back) to the backward of the first saver;
 * - the gradient of a layer's output, from the backward of its last consumer
 *   to its own backward; parameter gradients, from their layer's backward to
 *   the step's end.
 * This is what the executor's device meter counts at its layer boundaries
 * (kernel temporaries inside a layer are not tensors it holds).
 */
import { DeviceMemoryError } from '../errors.js';
import { DEFAULT_DEVICE_LIMIT_BYTES } from '../nn/device-limit.js';
import type { ModelAnalysis } from '../nn/shapes.js';
import type { SavedGroup } from './policy.js';
import { backwardLayers, staticPlan } from './policy.js';
import { formatBytes } from './stats.js';

/** Device capacity assumed without --budget: the executor's default limit, below the wasm heap's end. */
export const DEFAULT_DEVICE_BYTES = DEFAULT_DEVICE_LIMIT_BYTES;

export interface PeakEstimate {
  readonly peakBytes: number;
  /** Layer at the peak, and whether it is in the forward or the backward pass. */
  readonly layer: string;
  readonly phase: 'forward' | 'backward';
}

export interface BudgetPlan {
  readonly budgetBytes: number | undefined;
  /** Device bytes resident through every step: what was there when the first began, plus optimiser state. */
  readonly baseBytes: number;
  readonly estimates: Readonly<Record<'none' | 'conv' | 'all', PeakEstimate>>;
  /** The estimate for the plan the manager runs first. */
  readonly chosen: PeakEstimate;
  readonly fitsWithoutOffload: boolean;
}

export interface BudgetInput {
  readonly analysis: ModelAnalysis;
  readonly groups: readonly SavedGroup[];
  readonly batch: number;
  readonly config: { readonly policy: string; readonly budgetBytes?: number };
  readonly plan: ReadonlySet<string>;
}

const F32 = 4;

/** Peak device bytes of one step that offloads the groups in `plan`. */
export function estimatePeak(
  a: ModelAnalysis,
  groups: readonly SavedGroup[],
  plan: ReadonlySet<string>,
  batch: number,
  baseBytes: number,
): PeakEstimate {
  const L = a.layers.length;
  const T = 2 * L;
  const fwd = (i: number) => i;
  const bwd = (i: number) => T - 1 - i;
  const diff = new Float64Array(T + 1);
  const live = (from: number, to: number, bytes: number) => {
    if (bytes <= 0 || to < from) return;
    diff[from] += bytes;
    diff[to + 1] -= bytes;
  };
  const spec = a.spec;
  const index = new Map(spec.layers.map((l, i) => [l.name, i]));
  const visited = backwardLayers(spec);
  const consumers: number[][] = spec.layers.map(() => []);
  spec.layers.forEach((l, i) => l.inputs.forEach((n) => consumers[index.get(n)!].push(i)));
  const lastConsumer = consumers.map((c) => Math.max(-1, ...c));
  // A flatten's output is its input reshaped: the bytes belong to the owner.
  const owner = (j: number): number => {
    let k = j;
    while (a.layers[k].spec.kind === 'flatten') k = index.get(a.layers[k].spec.inputs[0])!;
    return k;
  };
  const fwdEnd = lastConsumer.map((c, j) => Math.max(c, j));
  for (let j = 0; j < L; j++) {
    const o = owner(j);
    fwdEnd[o] = Math.max(fwdEnd[o], fwdEnd[j]);
  }
  const byKey = new Map(groups.map((g) => [g.key, g]));
  // Activations (the model input is the trainer's, counted in baseBytes).
  for (let j = 1; j < L; j++) {
    if (a.layers[j].spec.kind === 'flatten') continue;
    const bytes = a.layers[j].outputElements * batch * F32;
    const g = byKey.get(`a:${a.layers[j].spec.name}`);
    if (!g) {
      live(fwd(j), fwd(fwdEnd[j]), bytes);
    } else if (plan.has(g.key)) {
      live(fwd(j), fwd(Math.max(fwdEnd[j], g.lastSave)), bytes);
      live(bwd(g.lastSave), bwd(g.firstSave), bytes);
    } else {
      live(fwd(j), bwd(g.firstSave), bytes);
    }
  }
  for (const g of groups) {
    if (!g.key.startsWith('m:')) continue;
    const bytes = g.elements * batch * F32;
    if (plan.has(g.key)) {
      live(fwd(g.firstSave), fwd(g.lastSave), bytes);
      live(bwd(g.lastSave), bwd(g.firstSave), bytes);
    } else {
      live(fwd(g.firstSave), bwd(g.firstSave), bytes);
    }
  }
  for (let j = 1; j < L; j++) {
    if (!visited[j]) continue;
    const bytes = a.layers[j].outputElements * batch * F32;
    if (j < L - 1) {
      // The gradient of j's output: from its last consumer's backward to j's own.
      live(bwd(lastConsumer[j]), bwd(j), bytes);
      // Each further consumer's contribution exists beside the running sum until added.
      for (const c of consumers[j])
        if (c !== lastConsumer[j] && visited[c]) live(bwd(c), bwd(c), bytes);
    }
    // Parameter gradients: from the layer's backward until the optimiser consumes them.
    live(bwd(j), T - 1, a.layers[j].params * F32);
  }
  let cur = 0;
  let peak = -1;
  let at = 0;
  for (let t = 0; t < T; t++) {
    cur += diff[t];
    if (cur > peak) {
      peak = cur;
      at = t;
    }
  }
  const layerIndex = at < L ? at : T - 1 - at;
  return {
    peakBytes: baseBytes + peak,
    layer: a.layers[layerIndex].spec.name,
    phase: at < L ? 'forward' : 'backward',
  };
}

/**
 * Device bytes that persist across steps but may not exist yet when the
 * first step begins: the optimiser's momentum buffers (one per parameter).
 */
export function optimizerBytes(a: ModelAnalysis): number {
  return a.params * F32;
}

/**
 * Estimates every static policy and, with a budget, checks the one chosen;
 * throws DeviceMemoryError (naming the layer, the bytes and a policy that
 * fits, if any) when it cannot stay under the budget.
 */
export function planBudget(m: BudgetInput, residentBytes: number): BudgetPlan {
  const baseBytes = residentBytes + optimizerBytes(m.analysis);
  const est = (p: 'none' | 'conv' | 'all') =>
    estimatePeak(m.analysis, m.groups, staticPlan(p, m.groups), m.batch, baseBytes);
  const estimates = { none: est('none'), conv: est('conv'), all: est('all') };
  const budget = m.config.budgetBytes;
  // Without --budget the device itself is the limit (the executor refuses past it).
  const limit = budget ?? DEFAULT_DEVICE_BYTES;
  const limitName =
    budget !== undefined
      ? `budget ${formatBytes(limit)}`
      : `the device limit ${formatBytes(limit)}`;
  const policy = m.config.policy;
  const chosen =
    policy === 'dyn'
      ? estimates.all
      : estimatePeak(m.analysis, m.groups, m.plan, m.batch, baseBytes);
  const fitsWithoutOffload = estimates.none.peakBytes <= limit;
  if (chosen.peakBytes > limit) {
    const fitting = (['none', 'conv', 'all'] as const).filter(
      (p) => estimates[p].peakBytes <= limit,
    );
    const what =
      policy === 'dyn'
        ? 'even with every activation offloaded (policy dyn)'
        : `for policy ${policy}`;
    const need = `layer ${chosen.layer} (${chosen.phase}) needs about ${formatBytes(chosen.peakBytes)} of device memory`;
    const best = fitting[0];
    const raise = budget !== undefined ? 'raise --budget' : 'lower --batch';
    const advice =
      best !== undefined
        ? `policy ${best} would fit (about ${formatBytes(estimates[best].peakBytes)}): use --policy ${best}` +
          (budget !== undefined
            ? `, or raise --budget to at least ${formatBytes(chosen.peakBytes)}`
            : '')
        : `no policy fits (with everything offloaded the peak is about ${formatBytes(estimates.all.peakBytes)} at layer ${estimates.all.layer}): ${raise}${budget !== undefined ? ' or lower --batch' : ''}`;
    throw new DeviceMemoryError(`${limitName} is too small ${what}: ${need}; ${advice}`);
  }
  return { budgetBytes: budget, baseBytes, estimates, chosen, fitsWithoutOffload };
}
