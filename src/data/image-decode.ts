/** Decoding one PNG (pngjs) or JPEG (jpeg-js) into 8-bit grey or RGB pixels, HWC. */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { InputFileError } from '../errors.js';
import { MAX_IMAGE_PIXELS, type ImageHeader } from './image-header.js';

export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  /** [height, width, channels] row-major. */
  readonly pixels: Uint8Array;
}

/** RGBA or RGB (stride 4 or 3) to `channels`; alpha composites over black. */
function pack(src: Uint8Array, stride: 3 | 4, n: number, channels: 1 | 3): Uint8Array {
  const out = new Uint8Array(n * channels);
  for (let p = 0; p < n; p++) {
    const a = stride === 4 ? src[4 * p + 3] / 255 : 1;
    const r = src[stride * p] * a;
    const g = src[stride * p + 1] * a;
    const b = src[stride * p + 2] * a;
    if (channels === 1) out[p] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    else {
      out[3 * p] = Math.round(r);
      out[3 * p + 1] = Math.round(g);
      out[3 * p + 2] = Math.round(b);
    }
  }
  return out;
}

/**
 * Decodes an image whose header was already checked (readImageHeader), into
 * the given number of channels (colour -> grey by BT.601 luma).
 */
export function decodeImage(
  bytes: Buffer,
  header: ImageHeader,
  channels: 1 | 3,
  path: string,
): DecodedImage {
  let width: number;
  let height: number;
  let data: Uint8Array;
  let stride: 3 | 4;
  try {
    if (header.format === 'png') {
      const png = PNG.sync.read(bytes);
      ({ width, height } = png);
      data = png.data;
      stride = 4;
    } else {
      const img = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: false,
        maxResolutionInMP: MAX_IMAGE_PIXELS / 2 ** 20,
        maxMemoryUsageInMB: 1024,
      });
      ({ width, height } = img);
      data = img.data;
      stride = 3;
    }
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new InputFileError(
      `${path}: cannot decode ${header.format.toUpperCase()} (${msg}); remove or replace the file`,
    );
  }
  if (width !== header.width || height !== header.height || data.length < width * height * stride) {
    throw new InputFileError(
      `${path}: decoded size does not match its header; the file is corrupt`,
    );
  }
  return { width, height, channels, pixels: pack(data, stride, width * height, channels) };
}
