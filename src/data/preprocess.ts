/**
 * How 8-bit images become a model's float32 input, as a user chooses it:
 *
 * - `range`: `mean-std` (per channel, (v - mean) / std with the training
 *   split's statistics; the default for zoo networks) or a linear map of
 *   0..255 onto [lo, hi] (`0,1` is the default for imported models; Keras'
 *   MobileNet/Inception preprocessing is `-1,1`);
 * - `resize`: bilinear with `half-pixel` centres (default) or
 *   `align-corners`;
 * - `scale`: `after-resize` (default: resize the 8-bit pixels, round to
 *   bytes, then scale) or `before-resize` (scale to float first and resize
 *   the floats, no rounding, as pipelines that divide by 255 first do).
 *
 * Channel conversion (grey to RGB, RGB to grey) and padding happen on the
 * 8-bit pixels in both orders; padding adds zero pixels (value 0 before
 * scaling).
 */
import { InvalidArgumentError } from '../errors.js';
import type { Dataset, Split } from './dataset.js';
import {
  axis,
  bilinearImage,
  fitSplit,
  spatialMethod,
  toGrey,
  type FitMode,
  type ResizeMode,
  type Shape3,
} from './fit.js';
import { channelStats, normalizeSplit, type ChannelStats } from './normalize.js';
import { checkDatasetSize, imageSize, type RawDataset, type RawSplit } from './raw.js';

export type InputRange = 'mean-std' | readonly [lo: number, hi: number];
export type ScaleOrder = 'after-resize' | 'before-resize';

export interface Preprocessing {
  readonly range: InputRange;
  readonly resize: ResizeMode;
  readonly scale: ScaleOrder;
}

export const DEFAULT_PREPROCESSING: Preprocessing = {
  range: 'mean-std',
  resize: 'half-pixel',
  scale: 'after-resize',
};

export const RESIZE_MODES: readonly ResizeMode[] = ['half-pixel', 'align-corners'];
export const SCALE_ORDERS: readonly ScaleOrder[] = ['after-resize', 'before-resize'];

/** `mean-std` or `lo,hi` (two different finite numbers). */
export function parseInputRange(text: string, flag = '--input-range'): InputRange {
  if (text === 'mean-std') return 'mean-std';
  const parts = text.split(',');
  const nums = parts.map((p) =>
    /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(p) ? Number(p) : NaN,
  );
  if (parts.length !== 2 || !nums.every(Number.isFinite) || nums[0] === nums[1]) {
    throw new InvalidArgumentError(
      `${flag} must be mean-std or two different numbers lo,hi (e.g. 0,1 or -1,1), got '${text}'`,
    );
  }
  return [nums[0], nums[1]];
}

export function parseResizeMode(text: string): ResizeMode {
  if ((RESIZE_MODES as readonly string[]).includes(text)) return text as ResizeMode;
  throw new InvalidArgumentError(
    `--resize must be one of ${RESIZE_MODES.join(', ')}, got '${text}'`,
  );
}

export function parseScaleOrder(text: string): ScaleOrder {
  if ((SCALE_ORDERS as readonly string[]).includes(text)) return text as ScaleOrder;
  throw new InvalidArgumentError(
    `--scale must be one of ${SCALE_ORDERS.join(', ')}, got '${text}'`,
  );
}

/** One line for logs and summaries, e.g. "range 0,1, half-pixel resize after scaling". */
export function describePreprocessing(p: Preprocessing): string {
  const range =
    p.range === 'mean-std' ? 'per-channel mean/std' : `range ${p.range[0]},${p.range[1]}`;
  return `${range}, ${p.resize} bilinear resize, scaled ${p.scale === 'before-resize' ? 'before' : 'after'} resizing`;
}

/** The per-channel 256-entry table of the linear range map. */
function rangeStats(range: readonly [number, number], channels: number): ChannelStats {
  // (v - mean) / std = lo + (hi - lo) v / 255  with  std = 255 / (hi - lo), mean = -lo * std
  const std = 255 / (range[1] - range[0]);
  return {
    mean: new Array<number>(channels).fill(-range[0] * std),
    std: new Array<number>(channels).fill(std),
  };
}

/** Channel conversion on bytes, before any spatial change (RGB -> grey first, grey -> RGB last). */
function scaleThenResize(
  split: RawSplit,
  from: Shape3,
  to: Shape3,
  stats: ChannelStats,
  resize: ResizeMode,
): Split {
  const [fc, fh, fw] = from;
  const [tc, th, tw] = to;
  let s = split;
  let c = fc;
  if (fc === 3 && tc === 1) {
    s = toGrey(s, fh, fw);
    c = 1;
  }
  const scaled = normalizeSplit(s, { mean: stats.mean.slice(0, c), std: stats.std.slice(0, c) });
  const ay = axis(fh, th, resize);
  const ax = axis(fw, tw, resize);
  const inSize = fh * fw * c;
  const outSize = th * tw * tc;
  const out = new Float32Array(split.count * outSize);
  // Grey images resampled once into a scratch image, then copied to every channel.
  const grey = c === tc ? undefined : new Float32Array(th * tw);
  for (let i = 0; i < split.count; i++) {
    const src = scaled.images.subarray(i * inSize, (i + 1) * inSize);
    const dst = out.subarray(i * outSize, (i + 1) * outSize);
    if (!grey) {
      bilinearImage(src, c, fw, ay, ax, dst, false);
      continue;
    }
    bilinearImage(src, c, fw, ay, ax, grey, false);
    for (let p = 0, o = 0; p < grey.length; p++) for (let j = 0; j < tc; j++) dst[o++] = grey[p];
  }
  return { count: split.count, images: out, labels: split.labels };
}

/** Fits and scales a raw dataset to `shape` as `p` says. */
export function preprocessDataset(
  raw: RawDataset,
  shape: Shape3,
  p: Preprocessing,
  fit: FitMode = 'auto',
): Dataset {
  checkDatasetSize(raw.name, raw.train.count + raw.test.count, imageSize(shape));
  const method = spatialMethod(raw.shape, shape, fit);
  const floatResize = p.scale === 'before-resize' && method === 'resize';
  let train: Split;
  let test: Split;
  if (floatResize) {
    let [fc, fh, fw] = raw.shape;
    let trainRaw = raw.train;
    let testRaw = raw.test;
    if (fc === 3 && shape[0] === 1) {
      trainRaw = toGrey(trainRaw, fh, fw);
      testRaw = toGrey(testRaw, fh, fw);
      fc = 1;
    }
    const stats = p.range === 'mean-std' ? channelStats(trainRaw, fc) : rangeStats(p.range, fc);
    [, fh, fw] = raw.shape;
    train = scaleThenResize(trainRaw, [fc, fh, fw], shape, stats, p.resize);
    test = scaleThenResize(testRaw, [fc, fh, fw], shape, stats, p.resize);
  } else {
    const tr = fitSplit(raw.train, raw.shape, shape, fit, p.resize);
    const te = fitSplit(raw.test, raw.shape, shape, fit, p.resize);
    const stats =
      p.range === 'mean-std' ? channelStats(tr, shape[0]) : rangeStats(p.range, shape[0]);
    train = normalizeSplit(tr, stats);
    test = normalizeSplit(te, stats);
  }
  return {
    name: raw.name,
    shape: [shape[0], shape[1], shape[2]],
    numClasses: raw.numClasses,
    classNames: raw.classNames,
    train,
    test,
  };
}
