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
import type { CodecDescriptor, CodecOps } from './codec.js';

export const ZLIB_DEFAULT_LEVEL = 6;

/**
 * DEFLATE's best case is a 258-byte match coded in 2 bits (1-bit length and
 * distance codes under dynamic Huffman): 1032 raw bytes per encoded byte.
 */
const DEFLATE_MAX_EXPANSION = 1032;

/** zlib's conservative deflateBound for raw streams, plus a margin. */
export function deflateBound(n: number): number {
  return n + Math.floor((n + 7) / 8) + Math.floor((n + 63) / 64) + 5 + 16;
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
  return plainBytes(r.buffer);
}

/**
 * `b` as a plain Uint8Array over the same memory: node:zlib returns Buffers,
 * whose `slice()` is a view, where a Uint8Array's is a copy. A caller that
 * copies a codec's output with `slice()` must get a copy.
 */
function plainBytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** The zlib operations at `level` (0-9, checked by the registry). */
function zlibOps(level: number): CodecOps {
  const deflate = (src: Uint8Array): Uint8Array => plainBytes(zlib.deflateRawSync(src, { level }));
  return {
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
    maxExpansion: () => DEFLATE_MAX_EXPANSION,
  };
}

export const zlibCodec: CodecDescriptor = {
  id: 'zlib',
  containerId: 3,
  description: 'DEFLATE (node:zlib)',
  params: [
    {
      name: 'level',
      type: 'integer',
      default: ZLIB_DEFAULT_LEVEL,
      min: 0,
      max: 9,
      description: 'DEFLATE level, 0 (store) to 9 (smallest)',
    },
  ],
  elementBytes: [2, 4],
  cheapExactSize: false,
  create: (params) => zlibOps(params.level),
};
