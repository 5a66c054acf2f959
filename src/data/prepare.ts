/**
 * From raw 8-bit images to a training-ready Dataset: fit to the model's
 * input shape, then normalise per channel with the training split's
 * statistics.
 */
import type { Dataset } from './dataset.js';
import { fitSplit, type FitMode, type Shape3 } from './fit.js';
import { channelStats, normalizeSplit } from './normalize.js';
import { checkDatasetSize, imageSize, type RawDataset } from './raw.js';
import { loadRawDataset, type DatasetSource, type LoadRawOptions } from './source.js';

export interface PrepareOptions {
  /** Fit images to this [c, h, w] (default: keep the dataset's shape). */
  readonly shape?: Shape3;
  readonly fit?: FitMode;
}

export function prepareDataset(raw: RawDataset, opts: PrepareOptions = {}): Dataset {
  const shape = opts.shape ?? raw.shape;
  checkDatasetSize(raw.name, raw.train.count + raw.test.count, imageSize(shape));
  const train = fitSplit(raw.train, raw.shape, shape, opts.fit);
  const test = fitSplit(raw.test, raw.shape, shape, opts.fit);
  const stats = channelStats(train, shape[0]);
  return {
    name: raw.name,
    shape: [shape[0], shape[1], shape[2]],
    numClasses: raw.numClasses,
    classNames: raw.classNames,
    train: normalizeSplit(train, stats),
    test: normalizeSplit(test, stats),
  };
}

export type LoadDatasetOptions = LoadRawOptions & PrepareOptions;

/** Reads, limits, fits and normalises the dataset a spec names. */
export function loadDataset(spec: string | DatasetSource, opts: LoadDatasetOptions = {}): Dataset {
  const raw = loadRawDataset(spec, { ...opts, target: opts.target ?? opts.shape });
  return prepareDataset(raw, opts);
}
