/**
 * What a container holds and how well it compressed: header fields, sizes,
 * ratio and density (non-zero elements / elements), overall and per chunk.
 * Every chunk is decoded (one chunk-sized scratch buffer), so inspecting also
 * verifies every checksum.
 */
import type { CodecId, CodecParams, DType } from '../codec.js';
import { countNonZero } from '../nonzero.js';
import { FRAME_HEADER_BYTES, type ContainerLayout } from './format.js';
import { chunkInfo, decodeChunk, type ChunkInfo, type ParsedContainer } from './reader.js';

export interface ChunkReport extends ChunkInfo {
  /** rawBytes / (compressedBytes + 8 frame bytes). */
  readonly ratio: number;
  readonly nonZeros: number;
  readonly density: number;
}

export interface InspectReport {
  readonly version: number;
  readonly codec: CodecId;
  readonly params: CodecParams;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly layout: ContainerLayout;
  readonly codecLayout: ContainerLayout;
  readonly elements: number;
  readonly chunkElements: number;
  readonly headerBytes: number;
  /** Bytes of the tensor uncompressed. */
  readonly rawBytes: number;
  /** Bytes of the whole container (header and frames included). */
  readonly compressedBytes: number;
  /** rawBytes / compressedBytes (0 for an empty tensor). */
  readonly ratio: number;
  readonly nonZeros: number;
  /** nonZeros / elements (0 for an empty tensor). */
  readonly density: number;
  readonly chunks: readonly ChunkReport[];
}

export function inspectParsed(c: ParsedContainer): InspectReport {
  const h = c.header;
  const scratch = new Uint8Array(
    h.chunkCount > 0 ? Math.min(h.chunkElements, h.elements) * c.elementBytes : 0,
  );
  const chunks: ChunkReport[] = [];
  let nonZeros = 0;
  for (let i = 0; i < h.chunkCount; i++) {
    const info = chunkInfo(c, i);
    const decoded = decodeChunk(c, i, scratch);
    const nz = countNonZero(decoded, c.elementBytes);
    nonZeros += nz;
    chunks.push({
      ...info,
      ratio: info.rawBytes / (info.compressedBytes + FRAME_HEADER_BYTES),
      nonZeros: nz,
      density: nz / info.elements,
    });
  }
  const compressedBytes = c.bytes.length;
  return {
    version: h.version,
    codec: h.codec,
    params: h.params,
    dtype: h.dtype,
    shape: h.shape,
    layout: h.layout,
    codecLayout: h.codecLayout,
    elements: h.elements,
    chunkElements: h.chunkElements,
    headerBytes: h.headerBytes,
    rawBytes: c.rawBytes,
    compressedBytes,
    ratio: c.rawBytes / compressedBytes,
    nonZeros,
    density: h.elements > 0 ? nonZeros / h.elements : 0,
    chunks,
  };
}
