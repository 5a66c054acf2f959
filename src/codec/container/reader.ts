/**
 * Container reading: parse the header, walk the chunk frames (lengths only,
 * checked against the real input length), then decode any chunk on its own.
 * Nothing here trusts the input: every problem is a CorruptDataError that
 * names it, and no allocation is sized by a header field the input could not
 * back up (each codec's maxExpansion, checked per chunk before decoding).
 */
import { CdmaError, CorruptDataError, InvalidArgumentError } from '../../errors.js';
import { ContainerCorruptError, type CorruptReason } from './errors.js';
import { DTYPE_BYTES, type Codec, type CodecId, type CodecParams } from '../codec.js';
import { crc32 } from './crc32.js';
import {
  FRAME_HEADER_BYTES,
  chunkElementsAt,
  decodeHeader,
  hex32,
  type ContainerHeader,
} from './format.js';

/** Looks a codec up by id and params (the registry's getCodec). */
export type CodecResolver = (id: CodecId, params: CodecParams) => Codec;

/** One chunk as the container records it. */
export interface ChunkInfo {
  readonly index: number;
  /** Offset of the chunk's frame in the container. */
  readonly offset: number;
  /** Encoded payload bytes (the frame adds 8 more). */
  readonly compressedBytes: number;
  /** Offset of the chunk's raw bytes in the decoded data (codec layout order). */
  readonly rawOffset: number;
  readonly rawBytes: number;
  readonly elements: number;
  /** Stored CRC-32 of the frame's length field and payload. */
  readonly crc32: number;
}

/** A container whose header and frame structure passed every check. */
export interface ParsedContainer {
  readonly bytes: Uint8Array;
  readonly header: ContainerHeader;
  readonly codec: Codec;
  readonly elementBytes: 2 | 4;
  /** Raw bytes of the whole tensor. */
  readonly rawBytes: number;
  /** Frame offsets, one per chunk. */
  readonly frameOffsets: Float64Array;
  /** Payload lengths, one per chunk. */
  readonly payloadBytes: Uint32Array;
}

function corrupt(reason: CorruptReason, msg: string, chunk?: number): ContainerCorruptError {
  return new ContainerCorruptError(reason, msg, chunk);
}

function resolveCodec(h: ContainerHeader, resolve: CodecResolver): Codec {
  try {
    return resolve(h.codec, h.params);
  } catch (e) {
    if (e instanceof CdmaError)
      throw corrupt('bad-header', `codec ${h.codec} rejects its stored parameters: ${e.message}`);
    throw e;
  }
}

/**
 * Parses `bytes` as a whole container. Checks the header (magic, version,
 * checksum, fields), that every frame lies inside the input, that each
 * payload's length is possible for its raw size, and that nothing trails the
 * last frame. Does not check chunk checksums (decodeChunk does, per chunk).
 */
export function parseContainer(bytes: Uint8Array, resolve: CodecResolver): ParsedContainer {
  const header = decodeHeader(bytes);
  const codec = resolveCodec(header, resolve);
  const eb = DTYPE_BYTES[header.dtype];
  const n = header.chunkCount;
  const available = bytes.length - header.headerBytes;
  if (available < n * FRAME_HEADER_BYTES)
    throw corrupt(
      'truncated',
      `truncated: the header announces ${n} chunks, which need at least ${n * FRAME_HEADER_BYTES} bytes, but ${available} follow the header`,
    );
  const expansion = codec.maxExpansion(eb);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const frameOffsets = new Float64Array(n);
  const payloadBytes = new Uint32Array(n);
  let p = header.headerBytes;
  for (let i = 0; i < n; i++) {
    if (bytes.length - p < FRAME_HEADER_BYTES)
      throw corrupt(
        'truncated',
        `truncated at chunk ${i}: its frame header needs 8 bytes, ${bytes.length - p} remain`,
        i,
      );
    const len = view.getUint32(p, true);
    const raw = chunkElementsAt(header, i) * eb;
    if (len > bytes.length - p - FRAME_HEADER_BYTES)
      throw corrupt(
        'truncated',
        `truncated at chunk ${i}: its payload is ${len} bytes but ${bytes.length - p - FRAME_HEADER_BYTES} remain`,
        i,
      );
    if (len > codec.maxEncodedSize(raw, eb))
      throw corrupt(
        'bad-chunk-size',
        `chunk ${i}: payload of ${len} bytes exceeds the ${header.codec} maximum for ${raw} raw bytes`,
        i,
      );
    if (raw > len * expansion)
      throw corrupt(
        'bad-chunk-size',
        `chunk ${i}: a payload of ${len} bytes cannot hold ${raw} raw bytes with codec ${header.codec}`,
        i,
      );
    frameOffsets[i] = p;
    payloadBytes[i] = len;
    p += FRAME_HEADER_BYTES + len;
  }
  if (p !== bytes.length)
    throw corrupt(
      'trailing-bytes',
      `${bytes.length - p} unexpected bytes after the last chunk (at offset ${p})`,
    );
  return {
    bytes,
    header,
    codec,
    elementBytes: eb,
    rawBytes: header.elements * eb,
    frameOffsets,
    payloadBytes,
  };
}

/** The `i`th chunk's record. */
export function chunkInfo(c: ParsedContainer, i: number): ChunkInfo {
  const offset = c.frameOffsets[i];
  const elements = chunkElementsAt(c.header, i);
  const view = new DataView(c.bytes.buffer, c.bytes.byteOffset + offset + 4, 4);
  return {
    index: i,
    offset,
    compressedBytes: c.payloadBytes[i],
    rawOffset: i * c.header.chunkElements * c.elementBytes,
    rawBytes: elements * c.elementBytes,
    elements,
    crc32: view.getUint32(0, true),
  };
}

/**
 * Verifies chunk `i`'s checksum and decodes it, into `out` when given (it must
 * hold the chunk's raw bytes). Returns the decoded bytes (codec layout order).
 */
export function decodeChunk(c: ParsedContainer, i: number, out?: Uint8Array): Uint8Array {
  if (!Number.isInteger(i) || i < 0 || i >= c.header.chunkCount)
    throw new InvalidArgumentError(`chunk index ${i} is outside 0..${c.header.chunkCount - 1}`);
  const info = chunkInfo(c, i);
  const start = info.offset + FRAME_HEADER_BYTES;
  const payload = c.bytes.subarray(start, start + info.compressedBytes);
  const actual = crc32(payload, crc32(c.bytes.subarray(info.offset, info.offset + 4)));
  if (actual !== info.crc32)
    throw corrupt(
      'chunk-checksum',
      `chunk ${i} checksum mismatch (stored ${hex32(info.crc32)}, computed ${hex32(actual)})`,
      i,
    );
  const target = out?.subarray(0, info.rawBytes);
  if (target && target.length < info.rawBytes)
    throw new InvalidArgumentError(
      `output holds ${target.length} bytes; chunk ${i} needs ${info.rawBytes}`,
    );
  let decoded: Uint8Array;
  try {
    decoded = c.codec.decode(payload, c.elementBytes, info.rawBytes, target);
  } catch (e) {
    if (e instanceof CorruptDataError)
      throw corrupt('bad-chunk-data', `chunk ${i}: ${e.message}`, i);
    throw e;
  }
  if (decoded.length !== info.rawBytes)
    throw corrupt(
      'bad-chunk-data',
      `chunk ${i} decoded to ${decoded.length} bytes instead of ${info.rawBytes}`,
      i,
    );
  if (
    target &&
    decoded !== target &&
    (decoded.buffer !== target.buffer || decoded.byteOffset !== target.byteOffset)
  )
    target.set(decoded);
  return target ?? decoded;
}

/** Decodes every chunk into `out` (codec layout order); `out` holds c.rawBytes bytes. */
export function decodeAllInto(c: ParsedContainer, out: Uint8Array): void {
  if (out.length < c.rawBytes)
    throw new InvalidArgumentError(`output holds ${out.length} bytes; needs ${c.rawBytes}`);
  const chunkRaw = c.header.chunkElements * c.elementBytes;
  for (let i = 0; i < c.header.chunkCount; i++) {
    const at = i * chunkRaw;
    decodeChunk(c, i, out.subarray(at, Math.min(at + chunkRaw, c.rawBytes)));
  }
}
