/**
 * Seeded mini-batches: each epoch visits the training split in a fresh
 * permutation drawn from (seed, epoch); the last incomplete batch of an
 * epoch is dropped so every step sees the same batch size.
 */
import type { Split } from '../data/dataset.js';
import { createRng, permutation } from '../random.js';

export interface Batch {
  /** 0-based epoch and step within it. */
  readonly epoch: number;
  readonly indexInEpoch: number;
  /** [batch, h, w, c] float32. */
  readonly images: Float32Array;
  readonly labels: Uint8Array;
}

export function stepsPerEpoch(count: number, batch: number): number {
  return Math.floor(count / batch);
}

/** Copies the listed images and labels of a split into fresh arrays. */
export function gather(
  split: Split,
  size: number,
  idx: ArrayLike<number>,
): { images: Float32Array; labels: Uint8Array } {
  const images = new Float32Array(idx.length * size);
  const labels = new Uint8Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const j = idx[i];
    images.set(split.images.subarray(j * size, (j + 1) * size), i * size);
    labels[i] = split.labels[j];
  }
  return { images, labels };
}

/** The training order of one epoch. */
export function epochOrder(count: number, seed: number, epoch: number): Uint32Array {
  return permutation(count, createRng(seed, 0x5eed + epoch));
}

/** Yields `steps` batches, walking through as many epochs as that takes. */
export function* batches(
  split: Split,
  size: number,
  batch: number,
  seed: number,
  steps: number,
): Generator<Batch> {
  const perEpoch = stepsPerEpoch(split.count, batch);
  let order = epochOrder(split.count, seed, 0);
  for (let s = 0; s < steps; s++) {
    const epoch = Math.floor(s / perEpoch);
    const k = s % perEpoch;
    if (k === 0 && s > 0) order = epochOrder(split.count, seed, epoch);
    const { images, labels } = gather(split, size, order.subarray(k * batch, (k + 1) * batch));
    yield { epoch, indexInEpoch: k, images, labels };
  }
}
