/**
 * Our study's numbers beside the cDMA paper's headline: an average 2.6x
 * (maximum 13.8x) compression ratio of the offloaded activations with the
 * ZVC-class compressor (Rhu et al., arXiv 1705.01626, abstract). Every
 * statement about "ours" is computed from the results; nothing is assumed.
 */
import { type LayerResult, type ModelResult, type StudyResults } from '../study/results.js';

export const PAPER = {
  averageRatio: 2.6,
  maxRatio: 13.8,
  source: 'Rhu et al., "Compressing DMA Engine", arXiv 1705.01626 (abstract)',
} as const;

/** fp32 ZVC ratio at density d for large tensors: 32 / (1 + 32 d). */
export function zvcRatioAt(density: number): number {
  return 32 / (1 + 32 * density);
}
/** The density at which fp32 ZVC reaches `ratio`. */
export function densityForZvcRatio(ratio: number): number {
  return Math.max(0, (32 / ratio - 1) / 32);
}

/**
 * Whether a tensor is some layer's input X (what vDNN offloads). At
 * inference nothing is saved; savedFor then lists the layers that would
 * keep it if the model were trained (empty when that is unknown).
 */
export function isOffloadedInput(l: LayerResult): boolean {
  return l.savedFor.some((s) => s.endsWith(':input'));
}

/**
 * Whether a tensor is a ReLU's output (the zeros ZVC exploits): training
 * kinds relu, relu6, relu_ext; at inference Keras' ReLU layer or a layer
 * with a relu or relu6 activation (kind "Conv2D+relu").
 */
export function isReluOutput(l: LayerResult): boolean {
  return /^(relu|relu6|relu_ext|ReLU)$/.test(l.kind) || /\+relu6?$/.test(l.kind);
}

/** Largest recorded feature map [H, W] over the models. */
function largestMap(results: StudyResults): [number, number] {
  let best: [number, number] = [0, 0];
  for (const m of results.models) {
    for (const l of m.layers) {
      if (l.shape.length === 3 && l.shape[1] * l.shape[2] > best[0] * best[1]) {
        best = [l.shape[1], l.shape[2]];
      }
    }
  }
  return best;
}

/** Network ZVC ratio over training restricted to layers matching `keep` (raw / compressed bytes). */
export function zvcRatioOf(m: ModelResult, keep: (l: LayerResult) => boolean): number | null {
  let raw = 0;
  let compressed = 0;
  for (const l of m.layers) {
    if (!keep(l) || l.ratios.zvc.nchw <= 0) continue;
    raw += l.bytesPerSample;
    compressed += l.bytesPerSample / l.ratios.zvc.nchw;
  }
  return compressed === 0 ? null : raw / compressed;
}

export interface Comparison {
  readonly averageAll: number;
  /** Over the ReLU outputs only; null when no network has one. */
  readonly averageRelu: number | null;
  readonly averageOffloaded: number | null;
  /** Inference runs: the offloaded average is of what training would offload. */
  readonly inference: boolean;
  readonly max: {
    readonly ratio: number;
    readonly model: string;
    readonly layer: string;
    readonly density: number;
  };
  readonly sparsest: { readonly density: number; readonly model: string; readonly layer: string };
  readonly perModel: readonly {
    model: string;
    all: number;
    relu: number | null;
    offloaded: number | null;
  }[];
}

export function compare(results: StudyResults): Comparison | null {
  const models = results.models.filter((m) => m.steps.length > 0 && m.layers.length > 0);
  if (models.length === 0) return null;
  const perModel = models.map((m) => ({
    model: m.model,
    all: m.ratios.zvc.nchw,
    relu: zvcRatioOf(m, isReluOutput),
    offloaded: zvcRatioOf(m, isOffloadedInput),
  }));
  const off = perModel.map((p) => p.offloaded).filter((x): x is number => x !== null);
  const relu = perModel.map((p) => p.relu).filter((x): x is number => x !== null);
  let max = { ratio: -1, model: '', layer: '', density: 0 };
  let sparsest = { density: 2, model: '', layer: '' };
  for (const m of models) {
    for (const l of m.layers) {
      if (l.ratios.zvc.nchw > max.ratio) {
        max = { ratio: l.ratios.zvc.nchw, model: m.model, layer: l.layer, density: l.density };
      }
      if (l.density < sparsest.density)
        sparsest = { density: l.density, model: m.model, layer: l.layer };
    }
  }
  const avg = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  return {
    averageAll: avg(perModel.map((p) => p.all)),
    averageRelu: relu.length === 0 ? null : avg(relu),
    averageOffloaded: off.length === 0 ? null : avg(off),
    inference: results.config.mode === 'inference',
    max,
    sparsest,
    perModel,
  };
}

const x = (r: number): string => `${r.toFixed(2)}x`;
const pct = (d: number): string => `${(100 * d).toFixed(1)}%`;
const direction = (ours: number, paper: number): string =>
  Math.abs(ours - paper) / paper < 0.1 ? 'close to' : ours > paper ? 'above' : 'below';

/** Rows of the comparison table: [quantity, paper, ours, note]. */
export function comparisonRows(c: Comparison): string[][] {
  const rows = [
    [
      'Average ZVC ratio over the networks (every recorded tensor)',
      `${x(PAPER.averageRatio)} (density ${pct(densityForZvcRatio(PAPER.averageRatio))})`,
      `${x(c.averageAll)} (density ${pct(densityForZvcRatio(c.averageAll))})`,
      `ours is ${direction(c.averageAll, PAPER.averageRatio)} the paper`,
    ],
  ];
  if (c.averageRelu !== null) {
    rows.push([
      'Average ZVC ratio over the ReLU outputs only',
      x(PAPER.averageRatio),
      `${x(c.averageRelu)} (density ${pct(densityForZvcRatio(c.averageRelu))})`,
      `ours is ${direction(c.averageRelu, PAPER.averageRatio)} the paper`,
    ]);
  }
  if (c.averageOffloaded !== null) {
    rows.push([
      c.inference
        ? 'Average ZVC ratio over the tensors training would offload (inputs X kept for backward), measured at inference'
        : 'Average ZVC ratio over the offloaded tensors only (each layer\u2019s input X, as vDNN offloads)',
      x(PAPER.averageRatio),
      x(c.averageOffloaded),
      `ours is ${direction(c.averageOffloaded, PAPER.averageRatio)} the paper`,
    ]);
  }
  rows.push([
    `Maximum ZVC ratio (a layer, ${c.inference ? 'over the images' : 'over training'})`,
    `${x(PAPER.maxRatio)} (density ${pct(densityForZvcRatio(PAPER.maxRatio))})`,
    `${x(c.max.ratio)} (${c.max.model} ${c.max.layer}, density ${pct(c.max.density)})`,
    `ours is ${direction(c.max.ratio, PAPER.maxRatio)} the paper`,
  ]);
  return rows;
}

/** Why the numbers differ, in sentences computed from the results. */
export function differenceNotes(results: StudyResults, c: Comparison): string[] {
  const steps = results.models.map((m) => m.stepsDone);
  const minSteps = Math.min(...steps);
  const maxSteps = Math.max(...steps);
  const [mh, mw] = largestMap(results);
  const small = mh > 0 && mh * mw < 112 * 112;
  const notes = [
    `Networks and data: the paper trains the full networks on ImageNet (224x224 colour images, 1000 classes); ` +
      `this study ${results.config.mode === 'training' ? 'trains' : 'runs'} ${results.models.map((m) => m.model).join(', ')} ` +
      `on ${results.config.dataset}` +
      (mh === 0
        ? '.'
        : small
          ? `, whose largest feature map is ${mh}x${mw}. Smaller images give smaller feature maps and fewer layers, ` +
            `so fewer late, sparse layers weigh in the average.`
          : `, whose largest feature map is ${mh}x${mw}: ImageNet-scale inputs, so the difference lies in the ` +
            `networks, their weights and the data rather than in image size.`),
    results.config.mode === 'training'
      ? `Training length: the paper samples density over the whole training run (many epochs); this study covers ` +
        `${minSteps === maxSteps ? minSteps : `${minSteps}-${maxSteps}`} steps of batch ${results.config.batch}, ` +
        `so it sees the start of training, where density moves fastest.`
      : `No training: these are inference-time activations of a given model on ${results.config.dataset}, ` +
        `while the paper measures activations during training.`,
    `What is averaged: the first row counts every recorded tensor once (` +
      (c.inference ? 'every layer output' : 'the saved tensors and the ReLU outputs') +
      `, weighted by size)` +
      (c.averageRelu !== null
        ? ', the ReLU row only ReLU outputs (where the zeros come from)'
        : '') +
      (c.averageOffloaded !== null
        ? c.inference
          ? ', the offloaded row only the tensors that some layer would keep as its input X if the model were ' +
            'trained (what vDNN would offload), here measured at inference'
          : ', the offloaded row only the tensors some layer keeps as its input X, which is what vDNN ' +
            'offloads and closest to the paper\'s "offloaded data"'
        : '') +
      `. Dense tensors that are not ReLU outputs (the image, convolution and normalisation outputs, ` +
      `pooled maps) compress poorly and pull the averages down.`,
    `The ceiling: fp32 ZVC spends a 32-bit mask per 32 elements, so its ratio is at most 32x and reaches ` +
      `the paper's ${x(PAPER.maxRatio)} only at density ${pct(densityForZvcRatio(PAPER.maxRatio))} or less. ` +
      `Our sparsest tensor (${c.sparsest.model} ${c.sparsest.layer}) has density ${pct(c.sparsest.density)}, ` +
      `worth ${x(zvcRatioAt(c.sparsest.density))} with ZVC.`,
  ];
  return notes;
}
