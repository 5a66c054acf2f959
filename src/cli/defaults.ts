/**
 * Defaults and limits shared by the commands that train (train, compare,
 * study): one value each, so that the same option means the same thing in
 * every command and its help states the same range.
 */
import type { NumberRange } from '../io/numbers.js';

/** Base learning rate of SGD (`--lr`). */
export const DEFAULT_LR = '0.02';

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
} as const;
