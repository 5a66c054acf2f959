/**
 * Defaults and limits shared by the commands that train (train, compare,
 * study): one value each, so that the same option means the same thing in
 * every command and its help states the same range.
 */
import type { NumberRange } from '../io/numbers.js';

/**
 * The defaults of the options train, compare and study share, as commander
 * takes them (text). The learning rate is train's 0.02 (compare and study
 * had 0.01): the rate train's documented runs use, and no test or study
 * result depends on the default. The rest were already equal; compare runs
 * the trainer's own defaults, which these are. Study's --batch (64 when
 * training, 16 at inference) and --warmup (50) stay its own: its
 * measurements are documented at batch 64, its resume check compares them,
 * and nin-small needs the warm-up (docs/STUDY.md).
 */
export const DEFAULTS = {
  dataset: 'mnist',
  batch: '32',
  lr: '0.02',
  lrSchedule: 'linear',
  warmup: '0',
  momentum: '0.9',
  weightDecay: '0.0005',
  seed: '1',
  backend: 'wasm',
  optimizer: 'sgd',
} as const;

/** Base learning rate of SGD (`--lr`). */
export const DEFAULT_LR = DEFAULTS.lr;

/** Adam's base learning rate when --lr is not given (Keras' default). */
export const ADAM_DEFAULT_LR = 0.001;

/** Highest `--lr` accepted: far above any rate that trains, low enough to catch a typo (1e308). */
export const MAX_LR = 10;

/** Most training steps of one run (`--steps`, `--warmup`, `--every`). */
export const MAX_STEPS = 10_000_000;

/** Most passes over the training split (`--epochs`). */
export const MAX_EPOCHS = 10_000;

/** Most images a dataset option may ask for (`--limit`, `--test-limit`, `--max-images`). */
export const MAX_IMAGES = 100_000_000;

/** Most images in one training or evaluation batch (`--batch`, `--eval-batch`). */
export const MAX_BATCH = 65_536;

/** The ranges of the numeric options of the training commands. */
export const TRAINING_RANGES = {
  lr: { min: 0, aboveMin: true, max: MAX_LR },
  momentum: { min: 0, max: 1, belowMax: true },
  weightDecay: { min: 0, max: 1 },
  batch: { min: 1, max: MAX_BATCH },
  steps: { min: 1, max: MAX_STEPS },
  epochs: { min: 1, max: MAX_EPOCHS },
  warmup: { min: 0, max: MAX_STEPS },
  images: { min: 1, max: MAX_IMAGES },
  seed: { min: 0, max: 2 ** 32 - 1 },
} as const satisfies Readonly<Record<string, NumberRange>>;

/** Help texts of the options train, compare and study share. */
export const TRAINING_HELP = {
  lr: `base SGD learning rate, up to ${MAX_LR}`,
  momentum: 'SGD momentum, from 0 up to (not including) 1',
  weightDecay: 'L2 weight decay on weights (not biases), 0 to 1',
  seed: 'from 0 to 4294967295',
  lrSchedule:
    'learning rate over each run: linear (decays to zero at the last step), cosine, or constant',
  backend:
    'TensorFlow.js backend: wasm (fast), cpu (reference) or webgpu (a GPU through WebGPU, docs/WEBGPU.md)',
} as const;
