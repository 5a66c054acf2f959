/**
 * Containers written in pieces, for the memory manager's DMA engine: the
 * compute thread lays out a container (header and frame payloads) where its
 * codec ran, in place in the device heap or straight into host memory, and
 * the engine thread seals it (frame checksums) and later checks it with the
 * same reader every container goes through (reader.ts), without decoding.
 *
 *   layout: header | (length u32 | CRC-32 u32 | payload) per chunk
 *
 * A sealed container is byte for byte what writeContainer would write for
 * the same header, codec and data (test/memory/engine-io.test.ts).
 */
import { InvalidArgumentError } from '../../errors.js';
import { DTYPE_BYTES, type CodecId, type CodecParams } from '../codec.js';
import { crc32 } from './crc32.js';
import {
  DEFAULT_CHUNK_BYTES,
  FRAME_HEADER_BYTES,
  chunkElementsAt,
  hex32,
  makeHeader,
  type ContainerHeader,
} from './format.js';
import { ContainerCorruptError } from './errors.js';
import { chunkInfo, parseContainer, type CodecResolver, type ParsedContainer } from './reader.js';

/** The header of a flat-layout float32 container (4-byte elements as bit patterns). */
export function flatHeader(
  codec: CodecId,
  params: CodecParams,
  shape: readonly number[],
  chunkBytes = DEFAULT_CHUNK_BYTES,
): ContainerHeader {
  const elements = shape.reduce((a, d) => a * d, 1);
  const eb = DTYPE_BYTES.float32;
  const chunkElements = Math.max(32, Math.floor(chunkBytes / eb / 32) * 32);
  return makeHeader({
    codec,
    params,
    dtype: 'float32',
    layout: 'flat',
    codecLayout: 'flat',
    shape,
    elements,
    chunkElements,
  });
}

/** Raw byte range [start, end) of chunk `i` in the tensor. */
export function chunkRawRange(h: ContainerHeader, i: number): [number, number] {
  const eb = DTYPE_BYTES[h.dtype];
  const start = i * h.chunkElements * eb;
  return [start, start + chunkElementsAt(h, i) * eb];
}

/**
 * Fills in the frame checksums of a container whose header and frame
 * lengths and payloads are written (the CRC fields may hold anything), and
 * checks that its frames end exactly at `bytes.length`. Returns the XOR of
 * the frame checksums: a fingerprint that tells this container's data from
 * another's with the same header.
 */
export function sealContainer(bytes: Uint8Array, h: ContainerHeader): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let p = h.headerBytes;
  let fingerprint = 0;
  for (let i = 0; i < h.chunkCount; i++) {
    if (p + FRAME_HEADER_BYTES > bytes.length)
      throw new InvalidArgumentError(`container ends inside frame ${i}`);
    const len = view.getUint32(p, true);
    const end = p + FRAME_HEADER_BYTES + len;
    if (end > bytes.length)
      throw new InvalidArgumentError(`frame ${i} of ${len} bytes runs past the container`);
    const crc = crc32(bytes.subarray(p + FRAME_HEADER_BYTES, end), crc32(bytes.subarray(p, p + 4)));
    view.setUint32(p + 4, crc, true);
    fingerprint = (fingerprint ^ crc) >>> 0;
    p = end;
  }
  if (p !== bytes.length)
    throw new InvalidArgumentError(`container frames end at ${p}, not at ${bytes.length}`);
  return fingerprint;
}

/** XOR of the stored frame checksums of a parsed container (see sealContainer). */
export function fingerprintOf(c: ParsedContainer): number {
  let f = 0;
  for (let i = 0; i < c.header.chunkCount; i++) f = (f ^ chunkInfo(c, i).crc32) >>> 0;
  return f;
}

/**
 * Parses `bytes` with the container reader (every structural check) and
 * verifies every chunk's checksum, decoding nothing. A problem is a
 * ContainerCorruptError naming it.
 */
export function verifyContainer(bytes: Uint8Array, resolve: CodecResolver): ParsedContainer {
  const c = parseContainer(bytes, resolve);
  for (let i = 0; i < c.header.chunkCount; i++) {
    const info = chunkInfo(c, i);
    const start = info.offset + FRAME_HEADER_BYTES;
    const actual = crc32(
      bytes.subarray(start, start + info.compressedBytes),
      crc32(bytes.subarray(info.offset, info.offset + 4)),
    );
    if (actual !== info.crc32)
      throw new ContainerCorruptError(
        'chunk-checksum',
        `chunk ${i} checksum mismatch (stored ${hex32(info.crc32)}, computed ${hex32(actual)})`,
        i,
      );
  }
  return c;
}
