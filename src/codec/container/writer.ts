/**
 * Container writing: header, then one frame per chunk (payload length, CRC-32
 * of length and payload, payload). Chunks are encoded independently, straight
 * into the output when it has room for the codec's worst case.
 */
import { InvalidArgumentError } from '../../errors.js';
import { DTYPE_BYTES, type Codec } from '../codec.js';
import { codecDescriptor } from '../registry.js';
import { crc32 } from './crc32.js';
import {
  FRAME_HEADER_BYTES,
  chunkElementsAt,
  encodeHeader,
  type ContainerHeader,
} from './format.js';

/** Largest container `header` can need with `codec` (what compressInto's `out` should hold). */
export function maxContainerSize(header: ContainerHeader, codec: Codec): number {
  const eb = DTYPE_BYTES[header.dtype];
  const full = header.chunkCount > 0 ? codec.maxEncodedSize(header.chunkElements * eb, eb) : 0;
  let total = header.headerBytes + header.chunkCount * FRAME_HEADER_BYTES;
  if (header.chunkCount > 0) {
    const last = chunkElementsAt(header, header.chunkCount - 1) * eb;
    total += (header.chunkCount - 1) * full + codec.maxEncodedSize(last, eb);
  }
  return total;
}

function sameStart(a: Uint8Array, b: Uint8Array): boolean {
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset;
}

/**
 * Writes the container for `raw` (the tensor's bytes in codec layout order)
 * into `out` from offset 0; returns the number of bytes written. Where `out`
 * lacks room for a chunk's worst case, that chunk is encoded aside and copied
 * if it fits; an `out` too small for the result is an InvalidArgumentError.
 */
export function writeContainerInto(
  header: ContainerHeader,
  codec: Codec,
  raw: Uint8Array,
  out: Uint8Array,
): number {
  const eb = DTYPE_BYTES[header.dtype];
  if (raw.length !== header.elements * eb)
    throw new InvalidArgumentError(
      `data has ${raw.length} bytes but ${header.elements} ${header.dtype} elements need ${header.elements * eb}`,
    );
  if (codec.id !== header.codec)
    throw new InvalidArgumentError(`codec ${codec.id} does not match the header's ${header.codec}`);
  let p = encodeHeader(header, out, 0);
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  const chunkRaw = header.chunkElements * eb;
  let scratch: Uint8Array | undefined;
  for (let i = 0; i < header.chunkCount; i++) {
    const src = raw.subarray(i * chunkRaw, Math.min((i + 1) * chunkRaw, raw.length));
    const room = out.length - p - FRAME_HEADER_BYTES;
    const worst = codec.maxEncodedSize(src.length, eb);
    let payload: Uint8Array;
    if (room >= worst) {
      const target = out.subarray(p + FRAME_HEADER_BYTES);
      payload = codec.encode(src, eb, target);
      if (!sameStart(payload, target)) {
        if (payload.length > room) throw tooSmall(out, p, payload.length);
        target.set(payload);
      }
    } else {
      if (!scratch || scratch.length < worst) scratch = new Uint8Array(worst);
      payload = codec.encode(src, eb, scratch);
      if (room < payload.length) throw tooSmall(out, p, payload.length);
      out.set(payload, p + FRAME_HEADER_BYTES);
    }
    const len = payload.length;
    view.setUint32(p, len, true);
    const frameStart = p + FRAME_HEADER_BYTES;
    const crc = crc32(out.subarray(frameStart, frameStart + len), crc32(out.subarray(p, p + 4)));
    view.setUint32(p + 4, crc, true);
    p = frameStart + len;
  }
  return p;
}

function tooSmall(out: Uint8Array, at: number, need: number): InvalidArgumentError {
  return new InvalidArgumentError(
    `output buffer of ${out.length} bytes is too small: the container needs at least ${at + FRAME_HEADER_BYTES + need} bytes so far (maxCompressedSize gives a size that always fits)`,
  );
}

/** Exact container size, from the codec's exact chunk sizes. */
function exactContainerSize(header: ContainerHeader, codec: Codec, raw: Uint8Array): number {
  const eb = DTYPE_BYTES[header.dtype];
  const chunkRaw = header.chunkElements * eb;
  let total = header.headerBytes;
  for (let at = 0; at < raw.length; at += chunkRaw)
    total +=
      FRAME_HEADER_BYTES +
      codec.encodedSize(raw.subarray(at, Math.min(at + chunkRaw, raw.length)), eb);
  return total;
}

/**
 * A new Uint8Array whose bytes are not zeroed first (the writer fills every
 * byte of it, and the check after writing throws otherwise): zeroing a
 * container-sized array costs a pass over memory the writer overwrites anyway.
 */
function uninitialized(bytes: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(bytes).buffer, 0, bytes);
}

/**
 * Writes the container for `raw` into a new array of exactly its size: sized
 * up front where the codec's exact size is cheap (its descriptor's
 * cheapExactSize: zvc, none), else encoded into a worst-case buffer and
 * copied out.
 */
export function writeContainer(header: ContainerHeader, codec: Codec, raw: Uint8Array): Uint8Array {
  if (
    codecDescriptor(codec.id).cheapExactSize === true &&
    raw.length === header.elements * DTYPE_BYTES[header.dtype]
  ) {
    const out = uninitialized(exactContainerSize(header, codec, raw));
    const n = writeContainerInto(header, codec, raw, out);
    if (n !== out.length)
      throw new Error(`container size ${n} differs from the exact size ${out.length}`);
    return out;
  }
  const out = new Uint8Array(maxContainerSize(header, codec));
  const n = writeContainerInto(header, codec, raw, out);
  return n === out.length ? out : out.slice(0, n);
}
