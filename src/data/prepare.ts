/**
 * From raw 8-bit images to a training-ready Dataset: fit to the model's
 * input shape, then scale (by default normalise per channel with the
 * training split's statistics; see preprocess.ts for the choices).
 */
import type { Dataset } from './dataset.js';
import type { FitMode, Shape3 } from './fit.js';
import { DEFAULT_PREPROCESSING, preprocessDataset, type Preprocessing } from './preprocess.js';
import type { RawDataset } from './raw.js';
import { loadRawDataset, type DatasetSource, type LoadRawOptions } from './source.js';

export interface PrepareOptions {
  /** Fit images to this [c, h, w] (default: keep the dataset's shape). */
  readonly shape?: Shape3;
  readonly fit?: FitMode;
  /** Input range, resize mode and scaling order (default: mean/std, half-pixel, after resizing). */
  readonly preprocessing?: Preprocessing;
}

export function prepareDataset(raw: RawDataset, opts: PrepareOptions = {}): Dataset {
  const shape = opts.shape ?? raw.shape;
  return preprocessDataset(raw, shape, opts.preprocessing ?? DEFAULT_PREPROCESSING, opts.fit);
}

export type LoadDatasetOptions = LoadRawOptions & PrepareOptions;

/** Reads, limits, fits and normalises the dataset a spec names. */
export function loadDataset(spec: string | DatasetSource, opts: LoadDatasetOptions = {}): Dataset {
  const raw = loadRawDataset(spec, { ...opts, target: opts.target ?? opts.shape });
  return prepareDataset(raw, opts);
}
