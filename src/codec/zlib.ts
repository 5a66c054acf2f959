/**
 * The `zlib` codec: raw DEFLATE (RFC 1951, no zlib/gzip wrapper; the
 * container checksums each chunk) through node:zlib. Parameter: level 0-9
 * (default 6). Decoding is bounded by the expected size (maxOutputLength), so
 * a forged stream cannot make it allocate more, and it must consume the whole
 * input and produce exactly the expected bytes.
 */
import * as zlib from 'node:zlib';
import { CorruptDataError, InvalidArgumentError } from '../errors.js';
import { checkElements } from './bytes.js';
import type { Codec } from './codec.js';

export const ZLIB_DEFAULT_LEVEL = 6;

/** zlib's conservative deflateBound for raw streams, plus a margin. */
export function deflateBound(n: number): number {
  return n + Math.floor((n + 7) / 8) + Math.floor((n + 63) / 64) + 5 + 16;
}

export function checkZlibLevel(level: number): void {
  if (!Number.isInteger(level) || level < 0 || level > 9)
    throw new InvalidArgumentError(`zlib level must be an integer from 0 to 9, not ${level}`);
}

interface InflateInfo {
  buffer: Buffer;
  engine: { bytesWritten: number };
}

/** Inflates `src` into exactly `byteLength` bytes, or throws CorruptDataError. */
export function inflateExact(src: Uint8Array, byteLength: number): Uint8Array {
  let r: InflateInfo;
  try {
    r = zlib.inflateRawSync(src, {
      maxOutputLength: Math.max(1, byteLength),
      info: true,
    } as zlib.ZlibOptions) as unknown as InflateInfo;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new CorruptDataError(`zlib payload is corrupt: ${why}`);
  }
  if (r.buffer.length !== byteLength)
    throw new CorruptDataError(
      `zlib payload decodes to ${r.buffer.length} bytes, expected ${byteLength}`,
    );
  if (r.engine.bytesWritten !== src.length)
    throw new CorruptDataError('zlib payload is corrupt: bytes follow the end of the stream');
  return r.buffer;
}

/** The zlib codec at `level`. */
export function createZlibCodec(level = ZLIB_DEFAULT_LEVEL): Codec {
  checkZlibLevel(level);
  const deflate = (src: Uint8Array): Uint8Array => zlib.deflateRawSync(src, { level });
  return {
    id: 'zlib',
    params: { level },
    maxEncodedSize(byteLength, eb) {
      checkElements(byteLength, eb);
      return deflateBound(byteLength);
    },
    encodedSize(src, eb) {
      checkElements(src.length, eb);
      return deflate(src).length;
    },
    encode(src, eb, out) {
      checkElements(src.length, eb);
      const d = deflate(src);
      if (out === undefined) return d;
      if (out.length < d.length)
        throw new InvalidArgumentError(
          `output of ${out.length} bytes is too small for ${d.length} bytes of zlib`,
        );
      out.set(d);
      return out.subarray(0, d.length);
    },
    decode(src, eb, byteLength, out) {
      checkElements(byteLength, eb);
      if (out !== undefined && out.length < byteLength)
        throw new InvalidArgumentError(
          `output of ${out.length} bytes cannot hold ${byteLength} bytes`,
        );
      const d = inflateExact(src, byteLength);
      if (out === undefined) return d;
      out.set(d);
      return out.subarray(0, byteLength);
    },
  };
}
