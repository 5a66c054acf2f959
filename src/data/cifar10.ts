/**
 * CIFAR-10 binary version: data_batch_1.bin .. data_batch_5.bin and
 * test_batch.bin in one directory (as extracted from cifar-10-binary.tar.gz,
 * usually cifar-10-batches-bin/). Each record is one label byte followed by
 * 3072 bytes: the 32x32 red plane, then green, then blue. batches.meta.txt,
 * when present, names the classes.
 */
import { join } from 'node:path';
import { InputFileError } from '../errors.js';
import { FILE_LIMITS } from '../io/limits.js';
import { readBounded } from '../io/read.js';
import { isFile, listDir, requireDir } from './files.js';
import { checkDatasetSize, checkLabels, type RawDataset, type RawSplit } from './raw.js';

export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

const SIDE = 32;
const PLANE = SIDE * SIDE;
const RECORD = 1 + 3 * PLANE;

/** Decodes CIFAR-10 binary batches (already read) into one NHWC split. */
export function decodeCifarBatches(
  files: readonly { path: string; bytes: Uint8Array }[],
  name: string,
): RawSplit {
  let count = 0;
  for (const f of files) {
    if (f.bytes.length === 0 || f.bytes.length % RECORD !== 0) {
      throw new InputFileError(
        `${name}: ${f.path} is ${f.bytes.length} bytes, not a whole number of ${RECORD}-byte CIFAR-10 records; it is truncated or not a CIFAR-10 binary batch`,
      );
    }
    count += f.bytes.length / RECORD;
  }
  checkDatasetSize(name, count, 3 * PLANE);
  const pixels = new Uint8Array(count * 3 * PLANE);
  const labels = new Uint8Array(count);
  let n = 0;
  for (const f of files) {
    const b = f.bytes;
    for (let r = 0; r * RECORD < b.length; r++, n++) {
      const base = r * RECORD;
      labels[n] = b[base];
      const out = n * 3 * PLANE;
      for (let p = 0; p < PLANE; p++) {
        pixels[out + 3 * p] = b[base + 1 + p];
        pixels[out + 3 * p + 1] = b[base + 1 + PLANE + p];
        pixels[out + 3 * p + 2] = b[base + 1 + 2 * PLANE + p];
      }
    }
  }
  checkLabels(name, labels, CIFAR10_CLASSES.length);
  return { count, pixels, labels };
}

function classNames(dir: string, name: string): readonly string[] {
  const meta = join(dir, 'batches.meta.txt');
  if (!isFile(meta)) return CIFAR10_CLASSES;
  const lines = readBounded(meta, { what: `${name} class names`, maxBytes: FILE_LIMITS.cifarMeta })
    .toString('utf8')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return lines.length === CIFAR10_CLASSES.length ? lines : CIFAR10_CLASSES;
}

export function loadCifar10(dir: string, name = `cifar10:${dir}`): RawDataset {
  const hint = 'download cifar-10-binary.tar.gz and pass its cifar-10-batches-bin directory';
  requireDir(dir, name, hint);
  const names = listDir(dir, name);
  const trainNames = names
    .filter((n) => /^data_batch_\d+\.bin$/.test(n))
    .sort((a, b) => parseInt(a.slice(11), 10) - parseInt(b.slice(11), 10));
  if (trainNames.length === 0)
    throw new InputFileError(`${name}: no data_batch_*.bin in ${dir}; ${hint}`);
  if (!names.includes('test_batch.bin'))
    throw new InputFileError(`${name}: no test_batch.bin in ${dir}; ${hint}`);
  const read = (n: string) => ({
    path: join(dir, n),
    bytes: readBounded(join(dir, n), { what: `${name} batch`, maxBytes: FILE_LIMITS.cifarBatch }),
  });
  const train = decodeCifarBatches(trainNames.map(read), name);
  const test = decodeCifarBatches([read('test_batch.bin')], name);
  return {
    name,
    shape: [3, SIDE, SIDE],
    numClasses: 10,
    classNames: classNames(dir, name),
    train,
    test,
  };
}
