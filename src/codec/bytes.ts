/**
 * Byte-level helpers shared by the codecs: element widths, views of typed
 * arrays as bytes, and aligned word views (copying only when the caller's
 * bytes start at an odd offset).
 */
import { InvalidArgumentError } from '../errors.js';

/** Width of one element in bytes: 4 for float32, 2 for float16/bfloat16 patterns. */
export type ElementBytes = 2 | 4;

/** Any typed array cdma accepts as tensor data. */
export type TypedArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

/** The bytes of `data` (no copy). */
export function bytesOf(data: TypedArray | Uint8Array): Uint8Array {
  return data instanceof Uint8Array
    ? data
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Throws unless `eb` is 2 or 4 and `byteLength` is a whole number of elements. */
export function checkElements(byteLength: number, eb: number): asserts eb is ElementBytes {
  if (eb !== 2 && eb !== 4)
    throw new InvalidArgumentError(`element width ${eb} is not supported; use 2 or 4 bytes`);
  if (byteLength % eb !== 0)
    throw new InvalidArgumentError(
      `${byteLength} bytes is not a whole number of ${eb}-byte elements`,
    );
}

/** True when typed-array views have little-endian byte order (every platform Node ships on but s390x). */
export const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** `b` itself when it starts at a multiple of `align`, else an aligned copy. */
export function alignedBytes(b: Uint8Array, align: number): Uint8Array {
  return b.byteOffset % align === 0 ? b : b.slice();
}

/** Int32 view of 4-byte-aligned bytes (length rounded down to whole words). */
export function words32(b: Uint8Array): Int32Array {
  return new Int32Array(b.buffer, b.byteOffset, b.length >>> 2);
}

/** Uint16 view of 2-byte-aligned bytes (length rounded down to whole words). */
export function words16(b: Uint8Array): Uint16Array {
  return new Uint16Array(b.buffer, b.byteOffset, b.length >>> 1);
}
