/**
 * The largest file of each kind cdma reads, in one table (docs/RELIABILITY.md
 * lists it). A file over its limit is refused before a byte is read.
 */
import { MAX_READ_BYTES } from './read.js';

const MiB = 1024 * 1024;

export const FILE_LIMITS = {
  /** A .cdma container (`cdma decompress`, `cdma inspect`). */
  container: MAX_READ_BYTES,
  /** A NumPy .npy array (`cdma compress`). */
  npy: MAX_READ_BYTES,
  /** One IDX file, gzipped or not (MNIST-style datasets). */
  idx: MAX_READ_BYTES,
  /** One CIFAR-10 binary batch (10,000 records of 3,073 bytes). */
  cifarBatch: 64 * MiB,
  /** CIFAR-10's batches.meta.txt (class names). */
  cifarMeta: 64 * 1024,
  /** One PNG or JPEG of an image folder. */
  image: 64 * MiB,
  /** The embedded MNIST digits (JSON). */
  mnistJson: 64 * MiB,
  /** A TensorFlow.js model.json. */
  modelJson: 64 * MiB,
  /** All weight shards of a TensorFlow.js model together. */
  modelWeights: 2048 * MiB,
  /** A study's results.json. */
  studyResults: 256 * MiB,
  /** A study checkpoint (weights and momentum of one model). */
  checkpoint: 3 * 4 * 2 ** 28 + 16 * MiB,
  /** A ratio table or study results given to `cdma simulate --ratios`. */
  ratioTable: 256 * MiB,
  /** A layer profile given to `cdma simulate --profile`. */
  profile: 16 * MiB,
  /** A map image embedded in the study report. */
  reportImage: 4 * MiB,
} as const;

export type FileKind = keyof typeof FILE_LIMITS;
