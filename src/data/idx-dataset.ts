/**
 * A directory of IDX files in the MNIST naming: train-images-idx3-ubyte,
 * train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte,
 * each optionally gzipped (.gz) and with '.' or '-' before "idx".
 */
import { join } from 'node:path';
import { InputFileError } from '../errors.js';
import { FILE_LIMITS } from '../io/limits.js';
import { gunzipStream, isGzip, readBounded } from '../io/read.js';
import { isFile, listDir, requireDir } from './files.js';
import { parseIdx, parseIdxHeader } from './idx.js';
import {
  checkDatasetSize,
  checkLabels,
  evenIndices,
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
  /** Keep at most this many training records, spread evenly (see evenIndices). */
  readonly limit?: number;
  /** Keep at most this many test records. */
  readonly testLimit?: number;
}

/** Largest IDX header: magic + four dimensions. */
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

/** One IDX file's records, possibly only the ones `limit` keeps. */
interface IdxRecords {
  /** Dimensions the header declares (dims[0] = records in the file). */
  readonly dims: readonly number[];
  /** The kept records, row-major. */
  readonly data: Uint8Array;
  /** How many records `data` holds: all of them, or evenIndices(dims[0], limit). */
  readonly kept: number;
}

function tooLarge(path: string, dims: readonly number[], bytes: number): InputFileError {
  return new InputFileError(
    `${path}: IDX dimensions [${dims.join(', ')}] declare ${bytes} bytes, more than the ${MAX_DATASET_VALUES} allowed; the file is corrupt or too large (--limit reads part of it)`,
  );
}

/**
 * Reads one IDX file, plain or gzipped. A gzipped file is inflated as a
 * stream and only the records `limit` keeps are held, so neither a gzip bomb
 * nor forged dimensions allocate more than the kept records need.
 */
function readIdx(
  path: string,
  name: string,
  dims: readonly number[],
  limit: number | undefined,
): IdxRecords {
  const raw = readBounded(path, { what: `${name} IDX file`, maxBytes: FILE_LIMITS.idx });
  if (!isGzip(raw)) {
    const a = parseIdx(raw, path, dims);
    return { dims: a.dims, data: a.data, kept: a.dims[0] };
  }
  const head = new Uint8Array(MAX_HEADER);
  let headLen = 0;
  let header: ReturnType<typeof parseIdxHeader> | null = null;
  let kept = 0;
  let rec = 0;
  let out: Uint8Array = new Uint8Array(0);
  let j = 0; // next kept record not yet complete
  let pos = 0; // stream bytes seen
  const onData = (chunk: Uint8Array): boolean => {
    let c = chunk;
    if (header === null) {
      const take = Math.min(c.length, MAX_HEADER - headLen);
      head.set(c.subarray(0, take), headLen);
      headLen += take;
      const need = headLen >= 4 ? 4 + 4 * head[3] : MAX_HEADER;
      if (headLen < Math.min(need, MAX_HEADER)) {
        pos += c.length;
        return true;
      }
      header = parseIdxHeader(head.subarray(0, headLen), path, dims);
      const count = header.dims[0];
      rec = header.dataBytes / count;
      kept = keptCount(count, limit);
      if (kept * rec > MAX_DATASET_VALUES) throw tooLarge(path, header.dims, kept * rec);
      // Grown as data arrives: a header alone never allocates what it declares.
      out = new Uint8Array(Math.min(kept * rec, 1 << 20));
      // Bytes of this chunk past the header are data.
      const consumed = header.headerBytes - (headLen - take);
      pos += consumed;
      c = c.subarray(consumed);
    }
    const hb = header.headerBytes;
    const end = pos + c.length;
    while (j < kept) {
      const rs = hb + keptIndex(j, header.dims[0], kept) * rec;
      const re = rs + rec;
      if (rs >= end) break;
      const from = Math.max(rs, pos);
      const to = Math.min(re, end);
      if (to > from) {
        const at = j * rec + (from - rs);
        if (at + (to - from) > out.length) out = grow(out, at + (to - from), kept * rec);
        out.set(c.subarray(from - pos, to - pos), at);
      }
      if (re > end) break;
      j++;
    }
    pos = end;
    if (pos > hb + header.dataBytes) {
      throw new InputFileError(
        `${path}: decompresses to more than the ${hb + header.dataBytes} bytes its IDX header declares; the file is corrupt or a gzip bomb`,
      );
    }
    // With a limit, stop once every kept record is in; without one, read on to check the end.
    return !(limit !== undefined && j === kept && kept < header.dims[0]);
  };
  const complete = gunzipStream(raw, path, name, onData);
  const h = header as ReturnType<typeof parseIdxHeader> | null;
  if (h === null) return { ...parseIdx(head.subarray(0, headLen), path, dims), kept: 0 };
  const have = pos - h.headerBytes;
  if (j < kept || (complete && have !== h.dataBytes)) {
    throw new InputFileError(
      `${path}: IDX dimensions [${h.dims.join(', ')}] need ${h.dataBytes} bytes of data but the file has ${have}; it is truncated`,
    );
  }
  return { dims: h.dims, data: out, kept };
}

/** How many of `count` records `limit` keeps (evenIndices(count, limit).length, without the array). */
function keptCount(count: number, limit: number | undefined): number {
  return limit === undefined ? count : Math.min(count, Math.max(0, Math.floor(limit)));
}

/** The j-th kept record of `count` when `kept` are kept: evenIndices' rule. */
function keptIndex(j: number, count: number, kept: number): number {
  return Math.floor((j * count) / kept);
}

/** `buf` copied into a buffer of at least `need` bytes (doubling, at most `max`). */
function grow(buf: Uint8Array, need: number, max: number): Uint8Array {
  const next = new Uint8Array(Math.min(max, Math.max(need, buf.length * 2)));
  next.set(buf);
  return next;
}

/** The records `limit` keeps, from a file read whole (kept === count) or already kept. */
function keep(a: IdxRecords, limit: number | undefined): Uint8Array {
  const count = a.dims[0];
  if (a.kept === keptCount(count, limit)) return a.data;
  const idx = evenIndices(count, limit);
  const rec = a.data.length / count;
  const out = new Uint8Array(idx.length * rec);
  for (let i = 0; i < idx.length; i++)
    out.set(a.data.subarray(idx[i] * rec, (idx[i] + 1) * rec), i * rec);
  return out;
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
  const limit = split === 'train' ? opts.limit : opts.testLimit;
  const img = readIdx(imgPath, opts.name, [3, 4], limit);
  const lbl = readIdx(lblPath, opts.name, [1], limit);
  const [count, h, w] = img.dims;
  const c = img.dims.length === 4 ? img.dims[3] : 1;
  if (c !== 1 && c !== 3)
    throw new InputFileError(`${imgPath}: ${c} channels per pixel; only 1 or 3 are supported`);
  if (lbl.dims[0] !== count) {
    throw new InputFileError(
      `${opts.name}: ${imgPath} holds ${count} images but ${lblPath} ${lbl.dims[0]} labels; the files do not belong together`,
    );
  }
  const kept = keptCount(count, limit);
  checkDatasetSize(opts.name, kept, h * w * c);
  const out: RawSplit = { count: kept, pixels: keep(img, limit), labels: keep(lbl, limit) };
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
