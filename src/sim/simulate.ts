/**
 * One simulation: a network at a batch size on a GPU and link, under the
 * oracle (everything resident), vDNN (policy, raw transfers) and cDMA (same
 * policy, compressed transfers), with per-layer times, stalls and memory.
 */
import { InvalidArgumentError } from '../errors.js';
import { analyzeModel, type ModelAnalysis } from '../nn/shapes.js';
import type { ModelSpec } from '../nn/spec.js';
import { engineFor, LIMITS, type EngineOptions, type EngineSpec, type Limit } from './engine.js';
import type { GpuSpec } from './gpus.js';
import type { LinkSpec } from './links.js';
import { networkWide, peakMemory, type MemoryResult, type NetworkWide } from './memory.js';
import type { AlgoChoice, ConvLibrary } from './conv-algos.js';
import type { Profile } from './profile.js';
import type { SimLayout } from './ratio-files.js';
import { resolveRatios, type RatioSource, type TensorRatio } from './ratio-source.js';
import { DTYPE_BYTES, type BuiltinCodecId, type DType } from '../codec/codec.js';
import { DEFAULT_LIBRARY, layerTimes, type LayerTime } from './roofline.js';
import { offloadedBy, runSchedule, type Policy, type ScheduleResult } from './schedule.js';
import { simTensors, type SimTensor } from './tensors.js';
import { ModelPlan } from '../plan/index.js';

export interface SimConfig {
  readonly model: ModelSpec | ModelAnalysis;
  readonly batch: number;
  readonly gpu: GpuSpec;
  readonly link: LinkSpec;
  /** Policy of the vDNN and cDMA runs ('none' makes both equal to the oracle). */
  readonly policy: Policy;
  readonly codec: BuiltinCodecId;
  readonly dtype: DType;
  readonly layout?: SimLayout;
  readonly ratios: RatioSource;
  readonly profile?: Profile;
  readonly engine?: EngineOptions;
  /** Optimizer state copies per parameter (momentum SGD: 1, Adam: 2, plain SGD: 0). Default 1. */
  readonly optimizerSlots?: number;
  readonly workspaceBytes?: number;
  /**
   * Convolution algorithms of the vDNN and cDMA runs: memory-optimal (implicit
   * GEMM, no workspace) or performance-optimal (default). The oracle always
   * runs performance-optimal: the vDNN paper normalises to it.
   */
  readonly algo?: AlgoChoice;
  /** Layers run memory-optimal whatever `algo` says (vDNN_dyn's greedy step). */
  readonly memoryOptimal?: ReadonlySet<number>;
  /** The cuDNN generation whose algorithms are available (default cuDNN 4, vDNN's). */
  readonly library?: ConvLibrary;
}

export interface SchemeResult {
  readonly scheme: 'oracle' | 'vdnn' | 'cdma';
  readonly schedule: ScheduleResult;
  readonly memory: MemoryResult;
  readonly fits: boolean;
  /** oracle iteration time / this iteration time. */
  readonly normalized: number;
  /** The limit that bound most transfer time, or null without transfers. */
  readonly binding: Limit | null;
}

export interface SimResult {
  readonly model: string;
  readonly batch: number;
  readonly gpu: GpuSpec;
  readonly link: LinkSpec;
  readonly policy: Policy;
  readonly codec: BuiltinCodecId;
  readonly dtype: DType;
  readonly engine: EngineSpec;
  readonly algo: AlgoChoice;
  readonly library: ConvLibrary;
  /** Layer times of the vDNN and cDMA runs (their algorithms). */
  readonly times: readonly LayerTime[];
  /** Layer times of the oracle (performance-optimal algorithms). */
  readonly oracleTimes: readonly LayerTime[];
  readonly tensors: readonly SimTensor[];
  readonly offloaded: readonly SimTensor[];
  readonly ratios: ReadonlyMap<string, TensorRatio>;
  readonly missingRatios: readonly string[];
  /** Raw offloaded bytes / compressed bytes over the iteration (cDMA). */
  readonly averageRatio: number;
  readonly oracle: SchemeResult;
  readonly vdnn: SchemeResult;
  readonly cdma: SchemeResult;
  /** Memory if every layer output and gradient map were allocated network-wide (no reuse, no offload). */
  readonly networkWideBytes: number;
  /** The same, part by part, with the run's algorithms' workspace (vDNN's baseline). */
  readonly networkWide: NetworkWide;
  /** cDMA over vDNN: vdnn time / cdma time - 1. */
  readonly improvement: number;
}

function isAnalysis(m: ModelSpec | ModelAnalysis): m is ModelAnalysis {
  return (m as ModelAnalysis).layers !== undefined && (m as ModelAnalysis).spec !== undefined;
}

function binding(s: ScheduleResult): Limit | null {
  let best: Limit | null = null;
  for (const k of LIMITS)
    if (s.limitSeconds[k] > 0 && (best === null || s.limitSeconds[k] > s.limitSeconds[best]))
      best = k;
  return best;
}

export function simulate(c: SimConfig): SimResult {
  if (!(Number.isSafeInteger(c.batch) && c.batch > 0)) {
    throw new InvalidArgumentError(`batch must be a positive integer, got ${c.batch}`);
  }
  const slots = c.optimizerSlots ?? 1;
  if (!(Number.isInteger(slots) && slots >= 0 && slots <= 4)) {
    throw new InvalidArgumentError(`optimizer slots must be an integer in [0, 4], got ${slots}`);
  }
  const workspace = c.workspaceBytes ?? 0;
  if (!(Number.isFinite(workspace) && workspace >= 0)) {
    throw new InvalidArgumentError(`workspace must be a number of bytes >= 0, got ${workspace}`);
  }
  const analysis = isAnalysis(c.model) ? c.model : analyzeModel(c.model);
  const plan = ModelPlan.fromAnalysis(analysis);
  const tensors = simTensors(plan);
  const e = DTYPE_BYTES[c.dtype];
  const algo = c.algo ?? 'performance';
  const library = c.library ?? DEFAULT_LIBRARY;
  const timesFor = (a: AlgoChoice, memoryOptimal?: ReadonlySet<number>) =>
    layerTimes({
      analysis,
      batch: c.batch,
      gpu: c.gpu,
      elementBytes: e,
      profile: c.profile,
      algo: a,
      memoryOptimal,
      library,
    });
  const oracleTimes = timesFor('performance');
  const times =
    algo === 'performance' && (c.memoryOptimal?.size ?? 0) === 0
      ? oracleTimes
      : timesFor(algo, c.memoryOptimal);
  const workspaceOf = (t: readonly LayerTime[]) =>
    t.map((x) => ({ forward: x.forwardWorkspace, backward: x.backwardWorkspace }));
  const engine = engineFor(c.gpu, c.link, c.engine);
  const resolved = resolveRatios(
    analysis,
    tensors,
    { codec: c.codec, elementBytes: e, layout: c.layout ?? 'nchw', batch: c.batch },
    c.ratios,
  );
  const ratioOf = new Map([...resolved.byKey].map(([k, v]) => [k, v.ratio]));
  const offloaded = offloadedBy(c.policy, tensors);

  const run = (
    scheme: SchemeResult['scheme'],
    off: readonly SimTensor[],
    compress: boolean,
    t: readonly LayerTime[],
  ) => {
    const schedule = runSchedule({
      times: t,
      offloaded: off,
      ratios: ratioOf,
      engine,
      compress,
      batch: c.batch,
      elementBytes: e,
    });
    const memory = peakMemory({
      plan,
      tensors,
      batch: c.batch,
      elementBytes: e,
      fetchedAt: schedule.fetchedAt,
      paramCopies: 1 + slots,
      workspaceBytes: workspace,
      layerWorkspace: workspaceOf(t),
    });
    return {
      scheme,
      schedule,
      memory,
      fits: memory.peakBytes <= c.gpu.memoryBytes,
      binding: binding(schedule),
    };
  };
  const o = run('oracle', [], false, oracleTimes);
  const v = run('vdnn', offloaded, false, times);
  const d = run('cdma', offloaded, c.codec !== 'none', times);
  const wide = networkWide({
    plan,
    tensors,
    batch: c.batch,
    elementBytes: e,
    paramCopies: 1 + slots,
    workspaceBytes: workspace,
    layerWorkspace: workspaceOf(times),
  });
  const norm = (s: typeof o): SchemeResult => ({
    ...s,
    normalized: o.schedule.iterationTime / s.schedule.iterationTime,
  });
  return {
    model: analysis.spec.name,
    batch: c.batch,
    gpu: c.gpu,
    link: c.link,
    policy: c.policy,
    codec: c.codec,
    dtype: c.dtype,
    engine,
    algo,
    library,
    times,
    oracleTimes,
    tensors,
    offloaded,
    ratios: resolved.byKey,
    missingRatios: resolved.missing,
    averageRatio: d.schedule.wireBytes > 0 ? d.schedule.rawBytes / d.schedule.wireBytes : 1,
    oracle: norm(o),
    vdnn: norm(v),
    cdma: norm(d),
    networkWideBytes: wide.total,
    networkWide: wide,
    improvement: v.schedule.iterationTime / d.schedule.iterationTime - 1,
  };
}
