/**
 * The paper's main comparison, in software: the same model, data and seed
 * trained by the oracle (everything stays on the device), vDNN (offload with
 * no compression) and cDMA (offload compressed with ZVC, plus any other
 * codec asked for), reporting step time, performance normalised to the
 * oracle, device peak, bytes over the link, compression ratio, and whether
 * every run ended with the oracle's weights. It drives the trainer, so it
 * lives beside the CLI rather than in the memory manager.
 */
import type { CodecId, CodecParams } from '../codec/codec.js';
import type { Dataset } from '../data/dataset.js';
import type { BackendName } from '../nn/backend.js';
import type { LrScheduleName } from '../train/lr-schedule.js';
import type { OptimizerName } from '../train/optimizer.js';
import type { ModelSpec } from '../nn/spec.js';
import { train, type StepRecord, type TrainSummary } from '../train/trainer.js';
import type { MemoryConfig } from '../memory/config.js';
import { MemoryManager } from '../memory/manager.js';
import type { PolicyName } from '../plan/index.js';
import { median, type StepStats } from '../memory/stats.js';

export interface CompareRun {
  /** e.g. "oracle", "vDNN", "cDMA", "cDMA-rle". */
  readonly name: string;
  /** undefined: the oracle (the executor's own store, no manager). */
  readonly config?: MemoryConfig;
}

export interface CompareOptions {
  readonly spec: ModelSpec;
  /** Starting weights by parameter name (an imported model's); the rest seeded. */
  readonly initialValues?: ReadonlyMap<string, Float32Array>;
  readonly dataset: Dataset;
  readonly batch: number;
  readonly steps: number;
  readonly seed: number;
  readonly lr: number;
  /** The trainer's defaults when left out: SGD, linear schedule, no warm-up, momentum 0.9, weight decay 5e-4. */
  readonly optimizer?: OptimizerName;
  readonly lrSchedule?: LrScheduleName;
  readonly warmupSteps?: number;
  readonly momentum?: number;
  readonly weightDecay?: number;
  readonly backend?: BackendName;
  readonly runs: readonly CompareRun[];
  readonly onRunStart?: (run: CompareRun) => void;
  readonly onStep?: (run: CompareRun, r: StepRecord, stats: StepStats | undefined) => void;
}

export interface CompareRunResult {
  readonly name: string;
  readonly policy: string;
  readonly codec: string;
  /** Median step time (the first step excluded when there are 3 or more), ms. */
  readonly stepMs: number;
  /** Oracle step time / this run's step time (1 for the oracle). */
  readonly relative: number;
  /** Median time the compute waited for transfers per step, ms. */
  readonly stallMs: number;
  /** Median transfer-engine busy time per step, ms. */
  readonly transferMs: number;
  readonly peakDeviceBytes: number;
  /** Median bytes over the link per step, both directions. */
  readonly linkBytesPerStep: number;
  readonly offloadedBytesPerStep: number;
  /** Raw / link bytes over all offloads (1 when nothing moved). */
  readonly ratio: number;
  /** Non-zero fraction of what was offloaded (NaN when nothing moved). */
  readonly density: number;
  readonly weightsSha256: string;
  readonly matchesOracle: boolean;
  readonly plan?: string;
  readonly summary: TrainSummary;
  readonly stats: readonly StepStats[];
}

export interface CompareResult {
  readonly runs: readonly CompareRunResult[];
  readonly weightsMatch: boolean;
}

/** Median of per-step values, dropping the first (warm-up) step when there are 3 or more. */
export function steadyMedian(xs: readonly number[]): number {
  return median(xs.length >= 3 ? xs.slice(1) : xs);
}

/** A codec of a cDMA run, with its parameters. */
export interface CodecChoice {
  readonly id: CodecId;
  readonly params?: CodecParams;
}

/** "cDMA" for plain zvc, else "cDMA-<id>", with any parameters: "cDMA-zlib:level=1". */
export function cdmaRunName(c: CodecChoice): string {
  const params = Object.entries(c.params ?? {});
  if (c.id === 'zvc' && params.length === 0) return 'cDMA';
  const suffix = params.length === 0 ? '' : `:${params.map(([k, v]) => `${k}=${v}`).join(',')}`;
  return `cDMA-${c.id}${suffix}`;
}

/** The standard runs: oracle, vDNN (codec none) and one cDMA run per codec asked for. */
export function standardRuns(
  base: Omit<MemoryConfig, 'codec' | 'policy'> & { readonly policy?: PolicyName },
  codecs: readonly (CodecId | CodecChoice)[],
): CompareRun[] {
  const policy = base.policy ?? 'all';
  const runs: CompareRun[] = [
    { name: 'oracle' },
    { name: 'vDNN', config: { ...base, policy, codec: { id: 'none' } } },
  ];
  for (const c of codecs) {
    const codec = typeof c === 'string' ? { id: c } : c;
    if (codec.id === 'none') continue;
    runs.push({ name: cdmaRunName(codec), config: { ...base, policy, codec } });
  }
  return runs;
}

async function runOne(
  o: CompareOptions,
  run: CompareRun,
): Promise<{ summary: TrainSummary; stats: StepStats[]; plan?: string }> {
  const manager = run.config
    ? await MemoryManager.create({ config: run.config, spec: o.spec, batch: o.batch })
    : undefined;
  try {
    const summary = await train({
      model: o.spec,
      initialValues: o.initialValues,
      dataset: o.dataset,
      batch: o.batch,
      steps: o.steps,
      lr: o.lr,
      optimizer: o.optimizer,
      lrSchedule: o.lrSchedule,
      warmupSteps: o.warmupSteps,
      momentum: o.momentum,
      weightDecay: o.weightDecay,
      seed: o.seed,
      backend: o.backend,
      store: manager,
      deviceLimitBytes: run.config?.budgetBytes,
      // The final evaluation at the training batch: a larger one could exceed the budget.
      evalBatch: o.batch,
      onStep: (r) => o.onStep?.(run, r, manager?.steps[manager.steps.length - 1]),
    });
    return { summary, stats: manager ? [...manager.steps] : [], plan: manager?.planName };
  } finally {
    await manager?.close();
  }
}

export async function runComparison(o: CompareOptions): Promise<CompareResult> {
  const raw: { run: CompareRun; summary: TrainSummary; stats: StepStats[]; plan?: string }[] = [];
  for (const run of o.runs) {
    o.onRunStart?.(run);
    raw.push({ run, ...(await runOne(o, run)) });
  }
  const ref = raw.find((r) => r.run.config === undefined) ?? raw[0];
  const refMs = steadyMedian(ref.summary.records.map((r) => r.ms));
  const runs = raw.map(({ run, summary, stats, plan }): CompareRunResult => {
    const stepMs = steadyMedian(summary.records.map((r) => r.ms));
    const rawBytes = stats.reduce((a, s) => a + s.offloadedRawBytes, 0);
    const linkBytes = stats.reduce((a, s) => a + s.offloadedLinkBytes, 0);
    const elements = stats.reduce((a, s) => a + s.offloadedElements, 0);
    const nonZero = stats.reduce((a, s) => a + s.offloadedNonZero, 0);
    return {
      name: run.name,
      policy: run.config?.policy ?? 'none',
      codec: run.config ? run.config.codec.id : '-',
      stepMs,
      relative: refMs / stepMs,
      stallMs: stats.length ? steadyMedian(stats.map((s) => s.stallMs)) : 0,
      transferMs: stats.length ? steadyMedian(stats.map((s) => s.transferMs)) : 0,
      peakDeviceBytes: summary.peakDeviceBytes,
      linkBytesPerStep: stats.length ? steadyMedian(stats.map((s) => s.linkBytes)) : 0,
      offloadedBytesPerStep: stats.length ? steadyMedian(stats.map((s) => s.offloadedRawBytes)) : 0,
      ratio: linkBytes > 0 ? rawBytes / linkBytes : 1,
      density: elements > 0 ? nonZero / elements : NaN,
      weightsSha256: summary.weightsSha256,
      matchesOracle: summary.weightsSha256 === ref.summary.weightsSha256,
      plan,
      summary,
      stats,
    };
  });
  return { runs, weightsMatch: runs.every((r) => r.matchesOracle) };
}
