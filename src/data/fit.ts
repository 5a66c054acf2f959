/**
 * Fitting 8-bit NHWC images to a model's input shape [c, h, w]: channel
 * conversion (grey -> RGB by replication, RGB -> grey by ITU-R BT.601 luma)
 * and spatial fitting by bilinear resizing (half-pixel centres, as
 * tf.image.resizeBilinear with halfPixelCenters) or by centred zero padding /
 * cropping.
 */
import { InvalidArgumentError } from '../errors.js';
import type { RawSplit } from './raw.js';

export type Shape3 = readonly [c: number, h: number, w: number];

/**
 * 'pad' centres the image and pads with zeros (crops when it is larger);
 * 'resize' resizes bilinearly to the exact size; 'auto' pads when the image
 * is no larger than the input and the input at most 1.5x the image in each
 * dimension (28x28 -> 32x32), and resizes otherwise.
 */
export type FitMode = 'auto' | 'resize' | 'pad';

export function spatialMethod(from: Shape3, to: Shape3, mode: FitMode): 'none' | 'pad' | 'resize' {
  const [, fh, fw] = from;
  const [, th, tw] = to;
  if (fh === th && fw === tw) return 'none';
  if (mode !== 'auto') return mode;
  const pads = fh <= th && fw <= tw && th <= 1.5 * fh && tw <= 1.5 * fw;
  return pads ? 'pad' : 'resize';
}

function mapImages(
  split: RawSplit,
  inSize: number,
  outSize: number,
  f: (src: Uint8Array, dst: Uint8Array) => void,
): RawSplit {
  const out = new Uint8Array(split.count * outSize);
  for (let i = 0; i < split.count; i++) {
    f(
      split.pixels.subarray(i * inSize, (i + 1) * inSize),
      out.subarray(i * outSize, (i + 1) * outSize),
    );
  }
  return { count: split.count, pixels: out, labels: split.labels };
}

/** RGB -> grey (BT.601 luma, rounded). */
export function toGrey(split: RawSplit, h: number, w: number): RawSplit {
  const n = h * w;
  return mapImages(split, 3 * n, n, (src, dst) => {
    for (let p = 0; p < n; p++) {
      dst[p] = Math.round(0.299 * src[3 * p] + 0.587 * src[3 * p + 1] + 0.114 * src[3 * p + 2]);
    }
  });
}

/** Grey -> RGB by replication. */
export function toRgb(split: RawSplit, h: number, w: number): RawSplit {
  const n = h * w;
  return mapImages(split, n, 3 * n, (src, dst) => {
    for (let p = 0; p < n; p++) {
      const v = src[p];
      dst[3 * p] = v;
      dst[3 * p + 1] = v;
      dst[3 * p + 2] = v;
    }
  });
}

/** Centred zero padding / cropping of each image from fh x fw to th x tw. */
export function padCrop(
  split: RawSplit,
  c: number,
  fh: number,
  fw: number,
  th: number,
  tw: number,
): RawSplit {
  const top = Math.floor((th - fh) / 2);
  const left = Math.floor((tw - fw) / 2);
  const y0 = Math.max(0, top);
  const y1 = Math.min(th, top + fh);
  const x0 = Math.max(0, left);
  const x1 = Math.min(tw, left + fw);
  const rowBytes = (x1 - x0) * c;
  return mapImages(split, fh * fw * c, th * tw * c, (src, dst) => {
    for (let y = y0; y < y1; y++) {
      const s = ((y - top) * fw + (x0 - left)) * c;
      dst.set(src.subarray(s, s + rowBytes), (y * tw + x0) * c);
    }
  });
}

/**
 * Where output pixel centres fall in the input: 'half-pixel' (pixel centres
 * at +0.5, tf.image.resizeBilinear with halfPixelCenters, PyTorch's
 * align_corners=False) or 'align-corners' (the corner pixels of input and
 * output coincide, as tf.image.resizeBilinear with alignCorners and
 * Keras-era pipelines).
 */
export type ResizeMode = 'half-pixel' | 'align-corners';

export interface Axis {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly f: Float32Array;
}

export function axis(from: number, to: number, mode: ResizeMode = 'half-pixel'): Axis {
  const i0 = new Int32Array(to);
  const i1 = new Int32Array(to);
  const f = new Float32Array(to);
  const scale = from / to;
  const aligned = to > 1 ? (from - 1) / (to - 1) : 0;
  for (let o = 0; o < to; o++) {
    const at = mode === 'align-corners' ? o * aligned : (o + 0.5) * scale - 0.5;
    const s = Math.min(Math.max(at, 0), from - 1);
    const lo = Math.floor(s);
    i0[o] = lo;
    i1[o] = Math.min(lo + 1, from - 1);
    f[o] = s - lo;
  }
  return { i0, i1, f };
}

/**
 * One image of `c` interleaved channels, fw wide, resampled bilinearly along
 * the axes `ay` (th rows) and `ax` (tw columns) into `dst` (th * tw * c
 * values), rounded to whole numbers when `round` (bytes) or kept as floats.
 */
export function bilinearImage(
  src: ArrayLike<number>,
  c: number,
  fw: number,
  ay: Axis,
  ax: Axis,
  dst: Uint8Array | Float32Array,
  round: boolean,
): void {
  const th = ay.f.length;
  const tw = ax.f.length;
  let o = 0;
  for (let y = 0; y < th; y++) {
    const r0 = ay.i0[y] * fw;
    const r1 = ay.i1[y] * fw;
    const fy = ay.f[y];
    for (let x = 0; x < tw; x++) {
      const c0 = ax.i0[x];
      const c1 = ax.i1[x];
      const fx = ax.f[x];
      for (let k = 0; k < c; k++) {
        const a = src[(r0 + c0) * c + k];
        const b = src[(r0 + c1) * c + k];
        const d = src[(r1 + c0) * c + k];
        const e = src[(r1 + c1) * c + k];
        const top = a + (b - a) * fx;
        const bottom = d + (e - d) * fx;
        const v = top + (bottom - top) * fy;
        dst[o++] = round ? Math.round(v) : v;
      }
    }
  }
}

/** Bilinear resizing (half-pixel centres by default, edges clamped), rounded to bytes. */
export function resizeBilinear(
  split: RawSplit,
  c: number,
  fh: number,
  fw: number,
  th: number,
  tw: number,
  mode: ResizeMode = 'half-pixel',
): RawSplit {
  const ay = axis(fh, th, mode);
  const ax = axis(fw, tw, mode);
  return mapImages(split, fh * fw * c, th * tw * c, (src, dst) =>
    bilinearImage(src, c, fw, ay, ax, dst, true),
  );
}

/** Converts a split of `from`-shaped images to `to`-shaped ones. */
export function fitSplit(
  split: RawSplit,
  from: Shape3,
  to: Shape3,
  mode: FitMode = 'auto',
  resize: ResizeMode = 'half-pixel',
): RawSplit {
  const [fc, fh, fw] = from;
  const [tc, th, tw] = to;
  for (const ch of [fc, tc]) {
    if (ch !== 1 && ch !== 3)
      throw new InvalidArgumentError(
        `cannot fit images with ${ch} channels; only 1 (grey) or 3 (RGB)`,
      );
  }
  if (th < 1 || tw < 1) throw new InvalidArgumentError(`cannot fit images to ${th}x${tw}`);
  let s = split;
  let c = fc;
  if (fc === 3 && tc === 1) {
    s = toGrey(s, fh, fw);
    c = 1;
  }
  const method = spatialMethod(from, to, mode);
  if (method === 'pad') s = padCrop(s, c, fh, fw, th, tw);
  else if (method === 'resize') s = resizeBilinear(s, c, fh, fw, th, tw, resize);
  if (c === 1 && tc === 3) s = toRgb(s, th, tw);
  return s;
}
