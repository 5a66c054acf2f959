/**
 * A directory of IDX files in the MNIST naming: train-images-idx3-ubyte,
 * train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte,
 * each optionally gzipped (.gz) and with '.' or '-' before "idx".
 */
import { join } from 'node:path';
import { InputFileError } from '../errors.js';
import {
  gunzipBounded,
  gunzipPrefix,
  isFile,
  isGzip,
  listDir,
  readFileChecked,
  requireDir,
} from './files.js';
import { parseIdx, parseIdxHeader, type IdxArray } from './idx.js';
import {
  checkDatasetSize,
  checkLabels,
  MAX_DATASET_VALUES,
  type RawDataset,
  type RawSplit,
} from './raw.js';

export interface IdxDirOptions {
  /** Dataset name in messages and summaries, e.g. "fashion-mnist:/usr/share/...". */
  readonly name: string;
  readonly classNames?: readonly string[];
  /** Appended to "missing file" errors: what the user can do. */
  readonly hint?: string;
}

/** Largest IDX header read here: magic + four dimensions. */
const MAX_HEADER = 4 + 4 * 4;

const PREFIXES = { train: ['train'], test: ['t10k', 'test'] } as const;

function findFile(
  dir: string,
  names: string[],
  split: 'train' | 'test',
  kind: 'images' | 'labels',
): string | null {
  const nd = kind === 'images' ? 3 : 1;
  for (const p of PREFIXES[split]) {
    for (const sep of ['-', '.']) {
      for (const gz of ['', '.gz']) {
        const n = `${p}-${kind}${sep}idx${nd}-ubyte${gz}`;
        if (names.includes(n) && isFile(join(dir, n))) return join(dir, n);
      }
    }
  }
  return null;
}

/**
 * Reads one IDX file, plain or gzipped. A gzipped file's header is read
 * first, and the stream is inflated only up to the size that header
 * declares, so a gzip bomb or forged dimensions never allocate more than the
 * dataset can legitimately hold.
 */
function readIdx(path: string, name: string, dims: readonly number[]): IdxArray {
  const raw = readFileChecked(path, name);
  if (!isGzip(raw)) return parseIdx(raw, path, dims);
  const prefix = gunzipPrefix(raw, path, name);
  // A stream too short for the largest header is tiny: inflate it whole (or fail as corrupt).
  if (prefix.length < MAX_HEADER)
    return parseIdx(gunzipBounded(raw, path, name, MAX_HEADER), path, dims);
  const head = parseIdxHeader(prefix, path, dims);
  if (head.dataBytes > MAX_DATASET_VALUES) {
    throw new InputFileError(
      `${path}: IDX dimensions [${head.dims.join(', ')}] declare ${head.dataBytes} bytes, more than the ${MAX_DATASET_VALUES} allowed; the file is corrupt or too large`,
    );
  }
  return parseIdx(gunzipBounded(raw, path, name, head.headerBytes + head.dataBytes), path, dims);
}

function readSplit(dir: string, names: string[], split: 'train' | 'test', opts: IdxDirOptions) {
  const imgPath = findFile(dir, names, split, 'images');
  const lblPath = findFile(dir, names, split, 'labels');
  const hint = opts.hint ?? 'expected MNIST-style IDX files';
  if (imgPath === null || lblPath === null) {
    const p = PREFIXES[split][0];
    const missing =
      imgPath === null ? `${p}-images-idx3-ubyte[.gz]` : `${p}-labels-idx1-ubyte[.gz]`;
    throw new InputFileError(`${opts.name}: ${missing} not found in ${dir}; ${hint}`);
  }
  const img = readIdx(imgPath, opts.name, [3, 4]);
  const lbl = readIdx(lblPath, opts.name, [1]);
  const [count, h, w] = img.dims;
  const c = img.dims.length === 4 ? img.dims[3] : 1;
  if (c !== 1 && c !== 3)
    throw new InputFileError(`${imgPath}: ${c} channels per pixel; only 1 or 3 are supported`);
  if (lbl.dims[0] !== count) {
    throw new InputFileError(
      `${opts.name}: ${imgPath} holds ${count} images but ${lblPath} ${lbl.dims[0]} labels; the files do not belong together`,
    );
  }
  checkDatasetSize(opts.name, count, h * w * c);
  const out: RawSplit = { count, pixels: img.data, labels: lbl.data };
  return { shape: [c, h, w] as const, split: out, imgPath };
}

export function loadIdxDir(dir: string, opts: IdxDirOptions): RawDataset {
  requireDir(dir, opts.name, opts.hint ?? 'pass the directory holding the IDX files');
  const names = listDir(dir, opts.name);
  const train = readSplit(dir, names, 'train', opts);
  const test = readSplit(dir, names, 'test', opts);
  if (train.shape.join() !== test.shape.join()) {
    throw new InputFileError(
      `${opts.name}: training images are ${train.shape.join('x')} but test images ${test.shape.join('x')}; they must match`,
    );
  }
  let maxLabel = 0;
  for (const l of [train.split.labels, test.split.labels])
    for (let i = 0; i < l.length; i++) if (l[i] > maxLabel) maxLabel = l[i];
  const numClasses = opts.classNames?.length ?? maxLabel + 1;
  if (numClasses < 2)
    throw new InputFileError(`${opts.name}: every label is 0; need at least two classes`);
  checkLabels(opts.name, train.split.labels, numClasses);
  checkLabels(opts.name, test.split.labels, numClasses);
  return {
    name: opts.name,
    shape: train.shape,
    numClasses,
    classNames: opts.classNames,
    train: train.split,
    test: test.split,
  };
}
