/**
 * Example activation maps as PNG images, like the cDMA paper's picture of
 * AlexNet's layers: the channels of one image's feature map tiled in a grid,
 * zeros black, non-zero values bright (grey to white by magnitude, positive
 * values white-ish, negative ones blue-ish), tiles separated by a dark red
 * 1-pixel grid.
 */
import { PNG } from 'pngjs';

export interface MapImage {
  readonly png: Buffer;
  readonly width: number;
  readonly height: number;
  /** Channels drawn (the first ones of the tensor). */
  readonly channels: number;
  /** Density of the drawn pixels. */
  readonly density: number;
}

/** Whether a per-sample shape is a feature map worth drawing ([C, H, W] with H, W >= 2). */
export function isDrawable(shape: readonly number[]): boolean {
  return shape.length === 3 && shape[1] >= 2 && shape[2] >= 2;
}

/**
 * Draws channels [0, maxChannels) of image `image` of an NHWC float32 batch
 * whose per-sample shape is [C, H, W].
 */
export function renderActivationMap(
  data: Float32Array,
  shapeChw: readonly number[],
  image = 0,
  maxChannels = 16,
): MapImage {
  if (!isDrawable(shapeChw))
    throw new RangeError(`cannot draw a map of shape [${shapeChw.join(', ')}]`);
  const [c, h, w] = shapeChw;
  const perImage = c * h * w;
  if ((image + 1) * perImage > data.length)
    throw new RangeError(`image ${image} is outside the batch`);
  const k = Math.min(c, maxChannels);
  const cols = Math.ceil(Math.sqrt(k));
  const rows = Math.ceil(k / cols);
  const width = cols * (w + 1) + 1;
  const height = rows * (h + 1) + 1;
  const png = new PNG({ width, height });
  const px = png.data;
  for (let i = 0; i < px.length; i += 4) {
    px[i] = 96;
    px[i + 1] = 0;
    px[i + 2] = 0;
    px[i + 3] = 255;
  }
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const base = image * perImage;
  let maxAbs = 0;
  for (let i = base; i < base + perImage; i++) {
    const a = Math.abs(data[i]);
    if (Number.isFinite(a) && a > maxAbs) maxAbs = a;
  }
  let nonzeros = 0;
  for (let ch = 0; ch < k; ch++) {
    const x0 = (ch % cols) * (w + 1) + 1;
    const y0 = Math.floor(ch / cols) * (h + 1) + 1;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const idx = base + (y * w + x) * c + ch;
        const o = ((y0 + y) * width + x0 + x) * 4;
        if (bits[idx] === 0) {
          px[o] = px[o + 1] = px[o + 2] = 0;
          continue;
        }
        nonzeros++;
        const v = data[idx];
        const mag =
          maxAbs > 0 && Number.isFinite(v) ? Math.sqrt(Math.min(1, Math.abs(v) / maxAbs)) : 1;
        const g = Math.round(90 + 165 * mag);
        if (v < 0) {
          px[o] = Math.round(g * 0.45);
          px[o + 1] = Math.round(g * 0.6);
          px[o + 2] = g;
        } else {
          px[o] = g;
          px[o + 1] = g;
          px[o + 2] = Math.round(g * 0.85);
        }
      }
    }
  }
  return { png: PNG.sync.write(png), width, height, channels: k, density: nonzeros / (k * h * w) };
}
