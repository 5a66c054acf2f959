/**
 * Reads the size and colour kind of a PNG or JPEG from its header, without
 * decoding, so that forged dimensions are refused before any pixel buffer is
 * allocated and a folder's common shape is known before decoding it.
 */
import { InputFileError } from '../errors.js';

export interface ImageHeader {
  readonly format: 'png' | 'jpeg';
  readonly width: number;
  readonly height: number;
  /** 1 for greyscale sources, 3 for colour ones (RGB, palette, CMYK...). */
  readonly channels: 1 | 3;
}

/** Largest side and pixel count an image may claim. */
export const MAX_IMAGE_SIDE = 16384;
export const MAX_IMAGE_PIXELS = 64 * 2 ** 20;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function checkSize(path: string, width: number, height: number): void {
  if (width < 1 || height < 1)
    throw new InputFileError(`${path}: image claims size ${width}x${height}; the file is corrupt`);
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width * height > MAX_IMAGE_PIXELS) {
    throw new InputFileError(
      `${path}: image is ${width}x${height}, larger than the ${MAX_IMAGE_SIDE}-pixel side / 64-megapixel limit; shrink it first`,
    );
  }
}

function pngHeader(b: Uint8Array, path: string): ImageHeader {
  // signature(8) + length(4) + "IHDR"(4) + width(4) + height(4) + depth(1) + colour type(1)
  if (b.length < 26 || String.fromCharCode(b[12], b[13], b[14], b[15]) !== 'IHDR') {
    throw new InputFileError(`${path}: PNG header is truncated or lacks IHDR; the file is corrupt`);
  }
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const width = v.getUint32(16, false);
  const height = v.getUint32(20, false);
  checkSize(path, width, height);
  const colourType = b[25];
  return { format: 'png', width, height, channels: colourType === 0 || colourType === 4 ? 1 : 3 };
}

function isSof(m: number): boolean {
  return m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
}

function jpegHeader(b: Uint8Array, path: string): ImageHeader {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff)
      throw new InputFileError(`${path}: JPEG marker expected at byte ${i}; the file is corrupt`);
    while (i < b.length && b[i] === 0xff) i++;
    if (i >= b.length) break;
    const m = b[i++];
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd8)) continue;
    if (m === 0xd9 || m === 0xda) break; // end of image / start of scan before any frame header
    if (i + 2 > b.length) break;
    const len = (b[i] << 8) | b[i + 1];
    if (len < 2)
      throw new InputFileError(
        `${path}: JPEG segment length ${len} at byte ${i}; the file is corrupt`,
      );
    if (isSof(m)) {
      if (i + 8 > b.length) break;
      const height = (b[i + 3] << 8) | b[i + 4];
      const width = (b[i + 5] << 8) | b[i + 6];
      if (height === 0)
        throw new InputFileError(`${path}: JPEG with height defined later (DNL) is not supported`);
      checkSize(path, width, height);
      return { format: 'jpeg', width, height, channels: b[i + 7] === 1 ? 1 : 3 };
    }
    i += len;
  }
  throw new InputFileError(`${path}: JPEG has no frame header; the file is truncated or corrupt`);
}

/** Sniffs the format from the magic bytes; anything else is an InputFileError. */
export function readImageHeader(b: Uint8Array, path: string): ImageHeader {
  if (b.length >= 8 && PNG_SIGNATURE.every((x, k) => b[k] === x)) return pngHeader(b, path);
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return jpegHeader(b, path);
  throw new InputFileError(
    `${path}: neither a PNG nor a JPEG (unknown magic bytes); remove it or convert it`,
  );
}
