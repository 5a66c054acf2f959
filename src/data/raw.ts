/**
 * Datasets as the readers produce them: 8-bit pixels, NHWC, before fitting
 * to a model's input shape and normalising (see prepare.ts).
 */
import { InputFileError } from '../errors.js';

export interface RawSplit {
  readonly count: number;
  /** [count, h, w, c] row-major, 0..255. */
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
}

export interface RawDataset {
  readonly name: string;
  readonly shape: readonly [c: number, h: number, w: number];
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  readonly train: RawSplit;
  readonly test: RawSplit;
}

/** The most float32 values a prepared dataset may hold (4 GiB of host memory). */
export const MAX_DATASET_VALUES = 2 ** 30;

export function imageSize(shape: readonly [number, number, number]): number {
  return shape[0] * shape[1] * shape[2];
}

/**
 * n indices spread evenly over 0..count-1 (all of them when n >= count).
 * Evenly spaced rather than the first n, so a class-sorted source still
 * yields every class.
 */
export function evenIndices(count: number, n: number | undefined): Uint32Array {
  const k = n === undefined ? count : Math.min(count, Math.max(0, Math.floor(n)));
  const out = new Uint32Array(k);
  for (let i = 0; i < k; i++) out[i] = Math.floor((i * count) / k);
  return out;
}

/** The images at the given indices, in that order. */
export function selectRaw(split: RawSplit, size: number, idx: Uint32Array): RawSplit {
  if (idx.length === split.count) {
    let identity = true;
    for (let i = 0; i < idx.length && identity; i++) identity = idx[i] === i;
    if (identity) return split;
  }
  const pixels = new Uint8Array(idx.length * size);
  const labels = new Uint8Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const j = idx[i];
    pixels.set(split.pixels.subarray(j * size, (j + 1) * size), i * size);
    labels[i] = split.labels[j];
  }
  return { count: idx.length, pixels, labels };
}

/** Keeps at most `limit` images of the split, spread evenly over it. */
export function limitRaw(split: RawSplit, size: number, limit: number | undefined): RawSplit {
  if (limit === undefined || limit >= split.count) return split;
  return selectRaw(split, size, evenIndices(split.count, limit));
}

/** Refuses, before allocating, a dataset whose float32 copy would not fit in host memory. */
export function checkDatasetSize(name: string, count: number, size: number): void {
  if (count * size > MAX_DATASET_VALUES) {
    const gib = ((count * size * 4) / 2 ** 30).toFixed(1);
    throw new InputFileError(
      `${name}: ${count} images of ${size} values need ${gib} GiB as float32 (limit 4 GiB); use --limit to train on part of it`,
    );
  }
}

/** Checks that every label is below numClasses. */
export function checkLabels(name: string, labels: Uint8Array, numClasses: number): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= numClasses) {
      throw new InputFileError(
        `${name}: label ${labels[i]} at index ${i} is not below ${numClasses} classes; the file is corrupt`,
      );
    }
  }
}
