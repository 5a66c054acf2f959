/**
 * The vDNN and cDMA papers' evaluations, as the performance model reproduces
 * them: the papers' published values (references to compare with, never
 * inputs of the model) and the runs of the model that correspond to each.
 * test/sim/validation.test.ts checks the model against them,
 * docs/SIMULATOR.md tabulates them and `cdma simulate --paper DIR`
 * (paper-report.ts) redraws the figures.
 *
 * How the papers' memory numbers are read (docs/SIMULATOR.md, "Validation"):
 * vDNN's bars for its own runs (vDNN_all, vDNN_conv, vDNN_dyn) are the memory
 * pool alone (feature maps, gradient maps, the running layer's workspace):
 * its AlexNet vDNN_all(m) bar, 275 MB, is below that network's weights alone
 * (233 MiB), so weights cannot be in it. Its baseline bars and the text's
 * "needs" and "trains in" figures include the weights (not their gradients):
 * VGG-116 to VGG-416 "train in" 3.0 to 4.3 GB, growing by 1.3 GB as their
 * weights do (0.92 to 2.15 GiB) while the pool's peak stays put. MB are MiB.
 */
import { analyzeModel, type ModelAnalysis } from '../nn/shapes.js';
import { getModel } from '../nn/zoo/index.js';
import { getConvLibrary, type AlgoChoice, type ConvLibrary } from './conv-algos.js';
import { simulateDyn, type DynResult } from './dyn.js';
import { getGpu } from './gpus.js';
import { getLink, type LinkSpec } from './links.js';
import type { RatioSource } from './ratio-source.js';
import type { Policy } from './schedule.js';
import { simulate, type SimConfig, type SimResult } from './simulate.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/** Configurations the vDNN paper reports: performance-optimal (p) and memory-optimal (m). */
export interface PM {
  readonly p: number;
  readonly m: number;
}

/** One network of the vDNN paper's Figures 11 (memory), 12 (offloaded bytes) and 14 (performance). */
export interface VdnnFigureValues {
  /** Baseline (network-wide) and the vDNN runs' memory, MiB. */
  readonly baselineMB: PM;
  readonly allMB: PM;
  readonly convMB: PM;
  readonly dynMB: number;
  /** Bytes offloaded per iteration (MiB), performance-optimal. */
  readonly offloadedMB: { readonly all: number; readonly conv: number };
  /** Performance normalised to the baseline with performance-optimal algorithms. */
  readonly perfAll: PM;
  readonly perfConv: PM;
  readonly perfDyn: number;
}

export interface VdnnNetwork {
  /** The zoo network. */
  readonly model: string;
  /** The paper's name for it. */
  readonly label: string;
  readonly batch: number;
  /** The paper's values, read from its figures' drawings (about +-5 MiB and +-0.005). */
  readonly paper: VdnnFigureValues;
}

/** vDNN (arXiv 1602.08124), Figures 11, 12 and 14: Titan X, PCIe gen3, cuDNN 4 under Torch, batch 128. */
export const VDNN_NETWORKS: readonly VdnnNetwork[] = [
  {
    model: 'alexnet-torch',
    label: 'AlexNet',
    batch: 128,
    paper: {
      baselineMB: { p: 1131, m: 780 },
      allMB: { p: 548, m: 275 },
      convMB: { p: 586, m: 313 },
      dynMB: 664,
      offloadedMB: { all: 358, conv: 163 },
      perfAll: { p: 0.776, m: 0.363 },
      perfConv: { p: 0.956, m: 0.399 },
      perfDyn: 1.0,
    },
  },
  {
    model: 'googlenet-torch',
    label: 'GoogLeNet',
    batch: 128,
    paper: {
      baselineMB: { p: 4516, m: 4127 },
      allMB: { p: 1014, m: 1014 },
      convMB: { p: 1636, m: 1443 },
      dynMB: 2531,
      offloadedMB: { all: 2347, conv: 1369 },
      perfAll: { p: 0.63, m: 0.47 },
      perfConv: { p: 0.788, m: 0.548 },
      perfDyn: 1.003,
    },
  },
  {
    model: 'vgg16',
    label: 'VGG-16',
    batch: 128,
    paper: {
      baselineMB: { p: 14476, m: 12413 },
      allMB: { p: 4865, m: 4865 },
      convMB: { p: 6345, m: 5566 },
      dynMB: 6345,
      offloadedMB: { all: 8070, conv: 5070 },
      perfAll: { p: 0.843, m: 0.396 },
      perfConv: { p: 1.0, m: 0.421 },
      perfDyn: 1.0,
    },
  },
];

/** The networks over which the vDNN paper's text averages (its Figure 14): AlexNet, OverFeat, GoogLeNet, VGG-16 at 128 and 256. */
export const VDNN_AVERAGED: readonly { model: string; label: string; batch: number }[] = [
  { model: 'alexnet-torch', label: 'AlexNet (128)', batch: 128 },
  { model: 'overfeat', label: 'OverFeat (128)', batch: 128 },
  { model: 'googlenet-torch', label: 'GoogLeNet (128)', batch: 128 },
  { model: 'vgg16', label: 'VGG-16 (128)', batch: 128 },
  { model: 'vgg16', label: 'VGG-16 (256)', batch: 256 },
];

/** The vDNN paper's text figures. */
export const VDNN_TEXT = {
  /** Performance loss of vDNN_all(m), vDNN_conv(m): average and worst case. */
  allMemoryLoss: { average: 0.58, worst: 0.65 },
  convMemoryLoss: { average: 0.55, worst: 0.63 },
  /** vDNN_dyn's performance against the oracle: average and worst. */
  dynPerformance: { average: 0.97, worst: 0.82 },
  /** VGG-16 at batch 256: needs 28 GB, trains in 12 GB under vDNN_dyn losing 18%. */
  vgg16b256: { needsGB: 28, dynLoss: 0.18 },
  /** VGG-116/216/316/416 at batch 32: GB needed; vDNN_dyn trains them in 3.0-4.3 GB, no noticeable loss. */
  veryDeep: {
    batch: 32,
    models: ['vgg116', 'vgg216', 'vgg316', 'vgg416'],
    needsGB: [21.0, 36.4, 51.7, 67.1],
    trainsInGB: { min: 3.0, max: 4.3 },
  },
} as const;

/** cDMA: the six networks, 2.6x average ZVC compression; arXiv (Titan X) and HPCA (Titan Xp). */
export const CDMA_NETWORKS: readonly { model: string; label: string }[] = [
  { model: 'alexnet-torch', label: 'AlexNet' },
  { model: 'overfeat', label: 'OverFeat' },
  { model: 'nin', label: 'NiN' },
  { model: 'vgg16', label: 'VGG-16' },
  { model: 'squeezenet', label: 'SqueezeNet' },
  { model: 'googlenet-torch', label: 'GoogLeNet' },
];
export const CDMA_TEXT = {
  averageRatio: 2.6,
  titanx: { gainAverage: 0.32, gainMax: 0.61, vdnnLossAverage: 0.31, vdnnLossWorst: 0.52 },
  titanxp: { gainAverage: 0.53, gainMax: 0.79 },
} as const;

/**
 * The setup both papers state (Titan X or Xp, PCIe gen3 at 12.8 GB/s) and
 * the model's choices where they state nothing: cuDNN 4's algorithms (vDNN's
 * library; the cDMA papers name none), plain SGD (weights and weight
 * gradients; the papers name no optimizer state), batch 128.
 */
export const PAPER_SETUP = {
  gpu: 'titanx',
  link: 'pcie3',
  library: 'cudnn4',
  optimizerSlots: 0,
} as const;

const analyses = new Map<string, ModelAnalysis>();
function analysis(model: string): ModelAnalysis {
  let a = analyses.get(model);
  if (!a) {
    a = analyzeModel(getModel(model));
    analyses.set(model, a);
  }
  return a;
}

export interface PaperRunOptions {
  readonly gpu?: string;
  readonly link?: string;
  /** A link not in the table (the bandwidth sweep); overrides `link`. */
  readonly linkSpec?: LinkSpec;
  readonly library?: ConvLibrary;
  /** Uniform compression ratio of every offloaded tensor (default the cDMA paper's 2.6x). */
  readonly ratio?: number;
}

function baseConfig(model: string, batch: number, o: PaperRunOptions = {}) {
  const ratios: RatioSource = {
    kind: 'table',
    table: { default: o.ratio ?? CDMA_TEXT.averageRatio, layers: new Map() },
  };
  return {
    model: analysis(model),
    batch,
    gpu: getGpu(o.gpu ?? PAPER_SETUP.gpu),
    link: o.linkSpec ?? getLink(o.link ?? PAPER_SETUP.link),
    codec: 'zvc',
    dtype: 'float32',
    ratios,
    optimizerSlots: PAPER_SETUP.optimizerSlots,
    library: o.library ?? getConvLibrary(PAPER_SETUP.library),
  } satisfies Omit<SimConfig, 'policy'>;
}

/** One run of the paper's setup. */
export function paperRun(
  model: string,
  batch: number,
  policy: Policy,
  algo: AlgoChoice,
  o: PaperRunOptions = {},
): SimResult {
  return simulate({ ...baseConfig(model, batch, o), policy, algo });
}

/** vDNN_dyn in the paper's setup. */
export function paperDyn(model: string, batch: number, o: PaperRunOptions = {}): DynResult {
  return simulateDyn(baseConfig(model, batch, o));
}

/** The network-wide baseline as the paper's figures count it: feature and gradient maps, workspace, weights (MiB). */
export function baselineMiB(r: SimResult): number {
  const w = r.networkWide;
  return (w.featureMaps + w.gradientMaps + w.workspace + w.weights) / MiB;
}

/** The memory pool's peak of the vDNN run (MiB). */
export const poolMiB = (r: SimResult): number => r.vdnn.memory.activationPeakBytes / MiB;

/** Bytes one iteration offloads (MiB). */
export const offloadedMiB = (r: SimResult): number =>
  (r.offloaded.reduce((a, t) => a + t.elements, 0) * r.batch * (r.dtype === 'float32' ? 4 : 2)) /
  MiB;

/** The model's values for one network of the vDNN figures. */
export function vdnnModelValues(n: VdnnNetwork, o: PaperRunOptions = {}): VdnnFigureValues {
  const run = (policy: Policy, algo: AlgoChoice) => paperRun(n.model, n.batch, policy, algo, o);
  const allP = run('all', 'performance');
  const allM = run('all', 'memory');
  const convP = run('conv', 'performance');
  const convM = run('conv', 'memory');
  const dyn = paperDyn(n.model, n.batch, o).chosen;
  return {
    baselineMB: { p: baselineMiB(allP), m: baselineMiB(allM) },
    allMB: { p: poolMiB(allP), m: poolMiB(allM) },
    convMB: { p: poolMiB(convP), m: poolMiB(convM) },
    dynMB: dyn ? poolMiB(dyn.result) : NaN,
    offloadedMB: { all: offloadedMiB(allP), conv: offloadedMiB(convP) },
    perfAll: { p: allP.vdnn.normalized, m: allM.vdnn.normalized },
    perfConv: { p: convP.vdnn.normalized, m: convM.vdnn.normalized },
    perfDyn: dyn ? dyn.result.vdnn.normalized : NaN,
  };
}

export interface VdnnTextValues {
  readonly perNetwork: readonly {
    readonly label: string;
    readonly allMemoryLoss: number;
    readonly convMemoryLoss: number;
    readonly dynPerformance: number;
    readonly dynChoice: string | null;
  }[];
  readonly allMemoryLoss: { readonly average: number; readonly worst: number };
  readonly convMemoryLoss: { readonly average: number; readonly worst: number };
  readonly dynPerformance: { readonly average: number; readonly worst: number };
  readonly vgg16b256: {
    readonly needsGB: number;
    readonly dynLoss: number;
    readonly dynChoice: string | null;
  };
  readonly veryDeep: readonly {
    readonly model: string;
    readonly needsGB: number;
    readonly trainsInGB: number;
    readonly dynPerformance: number;
    readonly dynChoice: string | null;
  }[];
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The model's counterparts of the vDNN paper's text figures. */
export function vdnnTextValues(o: PaperRunOptions = {}): VdnnTextValues {
  const perNetwork = VDNN_AVERAGED.map((n) => {
    const dyn = paperDyn(n.model, n.batch, o).chosen;
    return {
      label: n.label,
      allMemoryLoss: 1 - paperRun(n.model, n.batch, 'all', 'memory', o).vdnn.normalized,
      convMemoryLoss: 1 - paperRun(n.model, n.batch, 'conv', 'memory', o).vdnn.normalized,
      dynPerformance: dyn ? dyn.result.vdnn.normalized : 0,
      dynChoice: dyn?.label ?? null,
    };
  });
  const stat = (xs: number[], worst: (x: number[]) => number) => ({
    average: mean(xs),
    worst: worst(xs),
  });
  const max = (x: number[]) => Math.max(...x);
  const min = (x: number[]) => Math.min(...x);
  const b256 = paperDyn('vgg16', 256, o);
  const b256Base = paperRun('vgg16', 256, 'none', 'performance', o);
  const needsGiB = (r: SimResult) => (baselineMiB(r) * MiB) / GiB;
  const deep = VDNN_TEXT.veryDeep;
  return {
    perNetwork,
    allMemoryLoss: stat(
      perNetwork.map((r) => r.allMemoryLoss),
      max,
    ),
    convMemoryLoss: stat(
      perNetwork.map((r) => r.convMemoryLoss),
      max,
    ),
    dynPerformance: stat(
      perNetwork.map((r) => r.dynPerformance),
      min,
    ),
    vgg16b256: {
      needsGB: needsGiB(b256Base),
      dynLoss: b256.chosen ? 1 - b256.chosen.result.vdnn.normalized : 1,
      dynChoice: b256.chosen?.label ?? null,
    },
    veryDeep: deep.models.map((model) => {
      const d = paperDyn(model, deep.batch, o);
      const base = paperRun(model, deep.batch, 'none', 'performance', o);
      const chosen = d.chosen?.result;
      return {
        model,
        needsGB: needsGiB(base),
        trainsInGB: chosen
          ? (chosen.vdnn.memory.activationPeakBytes + chosen.networkWide.weights) / GiB
          : NaN,
        dynPerformance: chosen ? chosen.vdnn.normalized : 0,
        dynChoice: d.chosen?.label ?? null,
      };
    }),
  };
}

export interface CdmaValues {
  readonly gpu: string;
  readonly perNetwork: readonly {
    readonly label: string;
    readonly gain: number;
    readonly vdnnLoss: number;
  }[];
  readonly gainAverage: number;
  readonly gainMax: number;
  readonly vdnnLossAverage: number;
  readonly vdnnLossWorst: number;
}

/** cDMA over vDNN_all(p) on the six networks at a uniform ratio (default 2.6x), batch 128. */
export function cdmaValues(gpu: string, o: PaperRunOptions = {}): CdmaValues {
  const perNetwork = CDMA_NETWORKS.map((n) => {
    const r = paperRun(n.model, 128, 'all', 'performance', { ...o, gpu });
    return { label: n.label, gain: r.improvement, vdnnLoss: 1 - r.vdnn.normalized };
  });
  return {
    gpu,
    perNetwork,
    gainAverage: mean(perNetwork.map((r) => r.gain)),
    gainMax: Math.max(...perNetwork.map((r) => r.gain)),
    vdnnLossAverage: mean(perNetwork.map((r) => r.vdnnLoss)),
    vdnnLossWorst: Math.max(...perNetwork.map((r) => r.vdnnLoss)),
  };
}
