/**
 * The codec library API: compress a tensor into a self-describing, chunked,
 * checksummed container (docs/FORMAT.md) and back, inspect one, decode single
 * chunks, and write into caller-provided buffers on hot paths.
 */
import type { Transform } from 'node:stream';
import { InvalidArgumentError } from '../errors.js';
import { DTYPE_BYTES, type CodecId, type CodecParams, type DType } from './codec.js';
import type { ContainerLayout, ContainerHeader } from './container/format.js';
import { annotate } from './container/annotate.js';
import { inspectParsed, type InspectReport } from './container/inspect.js';
import {
  bytesOf,
  compressInput,
  planCompress,
  type CompressInput,
  type CompressOptions,
  type TensorData,
} from './container/options.js';
import {
  chunkInfo,
  decodeAllInto,
  decodeChunk,
  parseContainer,
  type ChunkInfo,
  type ParsedContainer,
} from './container/reader.js';
import { createContainerDecoder, createContainerEncoder } from './container/stream.js';
import { maxContainerSize, writeContainer, writeContainerInto } from './container/writer.js';
import { permuteShape, transposeLayout } from './layout.js';
import { getCodec } from './registry.js';

export type { CompressInput, CompressOptions, TensorData } from './container/options.js';
export type { TensorLike } from './tensor-input.js';
export type { ContainerLayout, TensorLayout } from './container/format.js';
export type { InspectReport, ChunkReport } from './container/inspect.js';
export type { ChunkInfo } from './container/reader.js';
export type { CorruptReason } from './container/errors.js';
export { ContainerCorruptError } from './container/errors.js';
export { CODEC_IDS, codecDescriptor, getCodec, registerCodec } from './registry.js';
export type {
  Codec,
  CodecDescriptor,
  CodecId,
  CodecOps,
  CodecOptions,
  CodecParams,
  DType,
  ElementBytes,
  ParamSpec,
  PayloadContext,
  PayloadField,
} from './codec.js';

/** Decoded tensor values: float32 values, or 16-bit patterns for float16/bfloat16. */
export type TensorValues = Float32Array | Uint16Array;

export interface DecompressResult {
  readonly data: TensorValues;
  readonly dtype: DType;
  readonly shape: number[];
  /** The layout the data was compressed from and is returned in. */
  readonly layout: ContainerLayout;
}

/** What decompressInto wrote. */
export interface DecompressedInfo {
  readonly dtype: DType;
  readonly shape: number[];
  readonly layout: ContainerLayout;
  readonly elements: number;
  readonly byteLength: number;
}

function isLittleEndian(): boolean {
  return new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
}

function requireLittleEndian(): void {
  if (!isLittleEndian())
    throw new InvalidArgumentError('cdma containers need a little-endian platform');
}

function valuesOf(bytes: Uint8Array, dtype: DType): TensorValues {
  const n = bytes.length / DTYPE_BYTES[dtype];
  return dtype === 'float32'
    ? new Float32Array(bytes.buffer, bytes.byteOffset, n)
    : new Uint16Array(bytes.buffer, bytes.byteOffset, n);
}

/** The bytes the codec runs on: `data` itself, or its transposition to the codec layout. */
function codecOrder(h: ContainerHeader, data: Uint8Array): Uint8Array {
  if (h.layout === h.codecLayout || h.layout === 'flat' || h.codecLayout === 'flat') return data;
  return transposeLayout(data, DTYPE_BYTES[h.dtype], h.shape, h.layout, h.codecLayout);
}

/** Decodes all chunks into `out` (raw bytes of the tensor in its original layout). */
function decodeTensorInto(c: ParsedContainer, out: Uint8Array): void {
  const h = c.header;
  if (h.layout === h.codecLayout || h.layout === 'flat' || h.codecLayout === 'flat') {
    decodeAllInto(c, out);
    return;
  }
  const stored = new Uint8Array(c.rawBytes);
  decodeAllInto(c, stored);
  const storedShape = permuteShape(h.shape, h.layout, h.codecLayout);
  transposeLayout(stored, c.elementBytes, storedShape, h.codecLayout, h.layout, out);
}

/**
 * Compresses `input` (a typed array, or a tensor object such as a tf.Tensor:
 * its dtype and shape become the defaults) into a new container of exactly its size.
 */
export function compress(input: CompressInput, options: CompressOptions = {}): Uint8Array {
  requireLittleEndian();
  const checked = compressInput(input, options);
  const data = checked.data;
  options = checked.options;
  const { header, codec } = planCompress(data, options, getCodec);
  return writeContainer(header, codec, codecOrder(header, bytesOf(data)));
}

/**
 * Largest container compress() can produce for `data` (or for that many
 * elements, given options.dtype) with these options: a size for compressInto.
 */
export function maxCompressedSize(
  input: CompressInput | number,
  options: CompressOptions = {},
): number {
  const checked =
    typeof input === 'number' ? { data: input, options } : compressInput(input, options);
  const data = checked.data;
  options = checked.options;
  const { header, codec } = planCompress(data, options, getCodec);
  return maxContainerSize(header, codec);
}

/**
 * Compresses `data` into `out` from offset 0; returns the bytes written. An
 * `out` of maxCompressedSize bytes always suffices; a smaller one works when the
 * result fits, else InvalidArgumentError.
 */
export function compressInto(
  input: CompressInput,
  options: CompressOptions,
  out: Uint8Array,
): number {
  requireLittleEndian();
  const checked = compressInput(input, options);
  const data = checked.data;
  options = checked.options;
  const { header, codec } = planCompress(data, options, getCodec);
  return writeContainerInto(header, codec, codecOrder(header, bytesOf(data)), out);
}

function parse(bytes: Uint8Array): ParsedContainer {
  requireLittleEndian();
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('a container is a Uint8Array');
  return parseContainer(bytes, getCodec);
}

/** Decodes a container; data comes back in its original layout, shape and bytes. */
export function decompress(bytes: Uint8Array): DecompressResult {
  const c = parse(bytes);
  const out = new Uint8Array(c.rawBytes);
  decodeTensorInto(c, out);
  const h = c.header;
  return { data: valuesOf(out, h.dtype), dtype: h.dtype, shape: [...h.shape], layout: h.layout };
}

/** A Float32Array output needs float32 data, a Uint16Array 16-bit data; bytes take any. */
function checkOutType(out: TensorData, dtype: DType): void {
  if (out instanceof Float32Array && dtype !== 'float32')
    throw new InvalidArgumentError(`the container holds ${dtype}, not float32; pass a Uint16Array`);
  if (out instanceof Uint16Array && dtype === 'float32')
    throw new InvalidArgumentError('the container holds float32; pass a Float32Array');
}

/**
 * Decodes a container into `out` (a Float32Array for float32, a Uint16Array for
 * 16-bit dtypes, or a Uint8Array; at least the tensor's bytes long).
 */
export function decompressInto(bytes: Uint8Array, out: TensorData): DecompressedInfo {
  const c = parse(bytes);
  const h = c.header;
  checkOutType(out, h.dtype);
  const target = bytesOf(out);
  if (target.length < c.rawBytes)
    throw new InvalidArgumentError(
      `output holds ${target.length} bytes; the tensor needs ${c.rawBytes}`,
    );
  decodeTensorInto(c, target.subarray(0, c.rawBytes));
  return {
    dtype: h.dtype,
    shape: [...h.shape],
    layout: h.layout,
    elements: h.elements,
    byteLength: c.rawBytes,
  };
}

/** Header facts of a container, without decoding anything. */
export interface ContainerSummary {
  readonly codec: CodecId;
  readonly params: CodecParams;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly layout: ContainerLayout;
  readonly codecLayout: ContainerLayout;
  readonly elements: number;
  readonly chunkElements: number;
  readonly chunkCount: number;
}

/** One decoded chunk: elements [elementOffset, elementOffset + data.length) of the stored order. */
export interface DecodedChunk {
  readonly index: number;
  readonly elementOffset: number;
  /** Order the elements are in: the container's codec layout. */
  readonly layout: ContainerLayout;
  readonly data: TensorValues;
}

/** A parsed container for repeated random access to its chunks. */
export interface OpenContainer {
  readonly summary: ContainerSummary;
  chunk(i: number): ChunkInfo;
  /** Decodes chunk `i` (checksum verified), into `out` when given. */
  decodeChunk(i: number, out?: TensorData): DecodedChunk;
}

/**
 * Parses a container's header and frame table once (checking structure, not
 * checksums) for random access to its chunks.
 */
export function openContainer(bytes: Uint8Array): OpenContainer {
  const c = parse(bytes);
  const h = c.header;
  return {
    summary: {
      codec: h.codec,
      params: h.params,
      dtype: h.dtype,
      shape: h.shape,
      layout: h.layout,
      codecLayout: h.codecLayout,
      elements: h.elements,
      chunkElements: h.chunkElements,
      chunkCount: h.chunkCount,
    },
    chunk: (i) => {
      if (!Number.isInteger(i) || i < 0 || i >= h.chunkCount)
        throw new InvalidArgumentError(`chunk index ${i} is outside 0..${h.chunkCount - 1}`);
      return chunkInfo(c, i);
    },
    decodeChunk: (i, out) => {
      if (out !== undefined) checkOutType(out, h.dtype);
      const target = out === undefined ? undefined : bytesOf(out);
      const decoded = decodeChunk(c, i, target);
      const copy =
        target === undefined && decoded.byteOffset % c.elementBytes !== 0
          ? decoded.slice()
          : decoded;
      return {
        index: i,
        elementOffset: i * h.chunkElements,
        layout: h.codecLayout,
        data: valuesOf(copy, h.dtype),
      };
    },
  };
}

/** Decodes chunk `i` alone (random access); elements are in the codec layout's order. */
export function decompressChunk(bytes: Uint8Array, i: number): DecodedChunk {
  return openContainer(bytes).decodeChunk(i);
}

/**
 * A Transform that takes the raw bytes of a tensor (split anywhere) and gives
 * its container, one chunk at a time: memory stays near one chunk. `options`
 * must give the dtype (raw bytes carry none) and the shape unless it is flat;
 * the codec layout must equal the layout (a transposition needs the whole
 * tensor: use compress()).
 */
export function compressStream(
  options: CompressOptions & { readonly dtype: DType; readonly elements?: number },
): Transform {
  requireLittleEndian();
  const elements =
    options.elements ?? (options.shape ? options.shape.reduce((a, d) => a * d, 1) : undefined);
  if (elements === undefined)
    throw new InvalidArgumentError('a compress stream needs options.shape or options.elements');
  const { header, codec } = planCompress(elements, options, getCodec, ['elements']);
  if (header.layout !== header.codecLayout)
    throw new InvalidArgumentError(
      'a compress stream cannot transpose; give codecLayout equal to layout',
    );
  return createContainerEncoder(header, codec);
}

/**
 * A Transform that takes a container's bytes (split anywhere) and gives the
 * tensor's raw bytes chunk by chunk, in the codec layout's order. It emits
 * 'header' (the container's fields) before the first data; every check of
 * decompress() applies, as the bytes arrive.
 */
export function decompressStream(): Transform {
  requireLittleEndian();
  return createContainerDecoder(getCodec);
}

/**
 * The container as an annotated hex dump, one line per header field, frame
 * field and (for zvc) block mask and element; checks structure, not checksums.
 */
export function dumpContainer(bytes: Uint8Array): string {
  return annotate(parse(bytes)).join('\n') + '\n';
}

/** Codec, shape, sizes, ratio, density and per-chunk facts; decodes (and so verifies) every chunk. */
export function inspect(bytes: Uint8Array): InspectReport {
  return inspectParsed(parse(bytes));
}
