/** What `cdma study` (training mode) takes and returns, and the network-name mapping. */
import { InvalidArgumentError } from '../errors.js';
import type { BackendName } from '../nn/backend.js';
import type { LrScheduleName } from '../train/lr-schedule.js';
import { listModels } from '../nn/zoo/index.js';
import type { StudyResults } from './results.js';
import type { ModelSpec } from '../nn/spec.js';
import type { Preprocessing } from '../data/preprocess.js';

/** An imported model to study over fine-tuning instead of zoo networks. */
export interface StudyImport {
  /** The model.json path (results' `requested`). */
  readonly path: string;
  readonly spec: ModelSpec;
  readonly initialValues: ReadonlyMap<string, Float32Array>;
}

export interface StudyProgress {
  update(done: number, info?: string): void;
  stop(): void;
}

export interface StudyOptions {
  /** Network names; each maps to its -small variant (alexnet -> alexnet-small). Ignored with `imported`. */
  readonly models: readonly string[];
  /** Study this imported model over fine-tuning instead of `models`. */
  readonly imported?: StudyImport;
  /** How images become inputs (default: per-channel mean/std, half-pixel resize, after resizing). */
  readonly preprocessing?: Preprocessing;
  /** Dataset spec (see DATASET_SPEC_HELP). */
  readonly dataset: string;
  /** Steps per network... */
  readonly steps?: number;
  /** ...or passes over the training split (exactly one of the two). */
  readonly epochs?: number;
  /** Record every K steps. */
  readonly every: number;
  readonly batch: number;
  /** Base SGD rate, its schedule over the run and warm-up steps (as `cdma train`). */
  readonly lr: number;
  readonly lrSchedule: LrScheduleName;
  readonly warmup: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly seed: number;
  readonly backend: BackendName;
  /** Output folder: results.json, maps/, checkpoints/. */
  readonly out: string;
  readonly zlibLevel: number;
  /** zlib compresses the first n images of each recorded batch. */
  readonly zlibSampleImages: number;
  /** Recorded steps that get activation maps, per network. */
  readonly maps: number;
  /** Tensors per network that get maps. */
  readonly mapLayers: number;
  /** Channels per map. */
  readonly mapChannels: number;
  /** Use at most this many training images. */
  readonly limit?: number;
  /** Measure on a worker thread (default) or inline. */
  readonly threads: boolean;
  /** Discard what DIR holds instead of resuming. */
  readonly fresh: boolean;
  /** Stops at the next step boundary, saving everything needed to resume. */
  readonly signal?: AbortSignal;
  readonly progress?: (model: string, total: number) => StudyProgress;
  readonly log?: (line: string) => void;
}

export interface StudyOutcome {
  readonly results: StudyResults;
  readonly interrupted: boolean;
  readonly resultsPath: string;
}

export const GENERATOR = 'cdma 0.1.0 study';

/** The zoo's -small variant of a network name (names already ending in -small stay). */
/** The zoo's -small variant of a network name (names already ending in -small stay). */
export function smallVariant(name: string): string {
  const n = name.trim().toLowerCase();
  const small = n.endsWith('-small') ? n : `${n}-small`;
  if (!listModels().some((m) => m.name === small)) {
    const valid = listModels()
      .filter((m) => m.name.endsWith('-small'))
      .map((m) => m.name.replace(/-small$/, ''));
    throw new InvalidArgumentError(
      `unknown network '${name}' for --models; use some of: ${valid.join(', ')}`,
    );
  }
  return small;
}

/** A name made safe for a file name (maps, checkpoints). */
export function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_');
}
