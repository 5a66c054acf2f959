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

/** Whether a tensor is some layer's input X (what vDNN offloads). */
export function isOffloadedInput(l: LayerResult): boolean {
  return l.savedFor.some((s) => s.endsWith(':input'));
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
  readonly averageOffloaded: number | null;
  readonly max: {
    readonly ratio: number;
    readonly model: string;
    readonly layer: string;
    readonly density: number;
  };
  readonly sparsest: { readonly density: number; readonly model: string; readonly layer: string };
  readonly perModel: readonly { model: string; all: number; offloaded: number | null }[];
}

export function compare(results: StudyResults): Comparison | null {
  const models = results.models.filter((m) => m.steps.length > 0 && m.layers.length > 0);
  if (models.length === 0) return null;
  const perModel = models.map((m) => ({
    model: m.model,
    all: m.ratios.zvc.nchw,
    offloaded: zvcRatioOf(m, isOffloadedInput),
  }));
  const off = perModel.map((p) => p.offloaded).filter((x): x is number => x !== null);
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
    averageOffloaded: off.length === 0 ? null : avg(off),
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
  if (c.averageOffloaded !== null) {
    rows.push([
      'Average ZVC ratio over the offloaded tensors only (each layer\u2019s input X, as vDNN offloads)',
      x(PAPER.averageRatio),
      x(c.averageOffloaded),
      `ours is ${direction(c.averageOffloaded, PAPER.averageRatio)} the paper`,
    ]);
  }
  rows.push([
    'Maximum ZVC ratio (a layer, over training)',
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
  const notes = [
    `Networks and data: the paper trains the full networks on ImageNet (224x224 colour images, 1000 classes); ` +
      `this study ${results.config.mode === 'training' ? 'trains' : 'runs'} ${results.models.map((m) => m.model).join(', ')} ` +
      `on ${results.config.dataset}. Smaller images give smaller feature maps and fewer layers, so fewer ` +
      `late, sparse layers weigh in the average.`,
    results.config.mode === 'training'
      ? `Training length: the paper samples density over the whole training run (many epochs); this study covers ` +
        `${minSteps === maxSteps ? minSteps : `${minSteps}-${maxSteps}`} steps of batch ${results.config.batch}, ` +
        `so it sees the start of training, where density moves fastest.`
      : `No training: these are inference-time activations of a given model on ${results.config.dataset}, ` +
        `while the paper measures activations during training.`,
    `What is averaged: the first row counts every recorded tensor once (the saved tensors and the ReLU ` +
      `outputs, weighted by size), the second only the tensors some layer keeps as its input X, which is ` +
      `what vDNN offloads and closest to the paper's "offloaded data". Dense inputs that are not ReLU ` +
      `outputs (the image, pooled or normalised maps) compress poorly and pull the average down.`,
    `The ceiling: fp32 ZVC spends a 32-bit mask per 32 elements, so its ratio is at most 32x and reaches ` +
      `the paper's ${x(PAPER.maxRatio)} only at density ${pct(densityForZvcRatio(PAPER.maxRatio))} or less. ` +
      `Our sparsest tensor (${c.sparsest.model} ${c.sparsest.layer}) has density ${pct(c.sparsest.density)}, ` +
      `worth ${x(zvcRatioAt(c.sparsest.density))} with ZVC.`,
  ];
  return notes;
}
