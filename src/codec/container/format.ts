/**
 * The cdma container, format version 1: constants, the header record, and the
 * header's byte encoding and strict decoding. docs/FORMAT.md specifies the
 * same bytes; test/codec/container-format-doc.test.ts keeps the two in step.
 *
 *   header  = fixed part (32 B) | shape (8 B per dim) | params | header CRC-32 (4 B)
 *   frame i = payload length (u32) | CRC-32 of length+payload (u32) | payload
 */
import { InvalidArgumentError } from '../../errors.js';
import type { Layout } from '../layout.js';
import { ContainerCorruptError, type CorruptReason } from './errors.js';
import { DTYPE_BYTES, type CodecId, type CodecParams, type DType } from '../codec.js';
import { hex32 } from '../describe.js';
import { codecByContainerId, codecDescriptor, isCodecId } from '../registry.js';
import { crc32 } from './crc32.js';
import { MAX_PARAMS, MAX_PARAM_NAME_BYTES, PARAM_NAME } from './limits.js';

export { MAX_PARAMS, MAX_PARAM_NAME_BYTES } from './limits.js';
export { hex32 } from '../describe.js';

/** "CDMA" */
export const MAGIC = Uint8Array.of(0x43, 0x44, 0x4d, 0x41);
export const FORMAT_VERSION = 1;
export const FIXED_HEADER_BYTES = 32;
export const FRAME_HEADER_BYTES = 8;
export const MAX_DIMS = 32;
/** Largest header the format allows: fixed part, 32 dims, 16 params of 32-byte names, CRC. */
export const MAX_HEADER_BYTES =
  FIXED_HEADER_BYTES + 8 * MAX_DIMS + MAX_PARAMS * (1 + MAX_PARAM_NAME_BYTES + 8) + 4;
/** Chunks hold a multiple of this many elements, so ZVC blocks never straddle chunks. */
export const CHUNK_ELEMENT_MULTIPLE = 32;
/** Largest raw chunk (bounds the memory one chunk's decode can need). */
export const MAX_CHUNK_BYTES = 1 << 30;
/** Default raw bytes per chunk. */
export const DEFAULT_CHUNK_BYTES = 1 << 20;
/** Chunk counts are stored as u32. */
export const MAX_CHUNKS = 0xffff_ffff;
/** Largest element count (elements are addressed with doubles). */
export const MAX_ELEMENTS = Number.MAX_SAFE_INTEGER;

/** Storage layouts of 4-D activation tensors (layout.ts). */
export type TensorLayout = Layout;
/** A container's layout fields: a tensor layout, or 'flat' when none is recorded. */
export type ContainerLayout = 'flat' | TensorLayout;

export const DTYPES: readonly DType[] = ['float32', 'float16', 'bfloat16'];
export const LAYOUTS: readonly ContainerLayout[] = ['flat', 'nchw', 'nhwc', 'chwn'];

/** Everything the header records. */
export interface ContainerHeader {
  readonly version: number;
  readonly codec: CodecId;
  /** Codec parameters, sorted by name. */
  readonly params: CodecParams;
  readonly dtype: DType;
  /** Layout of the tensor the user handed in (and gets back). */
  readonly layout: ContainerLayout;
  /** Layout the chunks are stored (and the codec ran) in. */
  readonly codecLayout: ContainerLayout;
  /** Shape in `layout` order. */
  readonly shape: readonly number[];
  readonly elements: number;
  readonly chunkElements: number;
  readonly chunkCount: number;
  /** Total header length in bytes, header CRC included. */
  readonly headerBytes: number;
}

export type HeaderFields = Omit<ContainerHeader, 'version' | 'chunkCount' | 'headerBytes'>;

/** Sorted, validated copy of codec params (names are ASCII identifiers, values finite). */
export function normalizeParams(params: CodecParams): CodecParams {
  const names = Object.keys(params).sort();
  if (names.length > MAX_PARAMS)
    throw new InvalidArgumentError(
      `codec has ${names.length} parameters; at most ${MAX_PARAMS} fit a container header`,
    );
  const out: Record<string, number> = {};
  for (const name of names) {
    const value = params[name];
    if (!PARAM_NAME.test(name))
      throw new InvalidArgumentError(
        `codec parameter name '${name}' must be 1-32 letters, digits or _`,
      );
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new InvalidArgumentError(
        `codec parameter ${name} must be a finite number, got ${String(value)}`,
      );
    out[name] = value;
  }
  return out;
}

/** Number of chunks `elements` elements take at `chunkElements` per chunk. */
export function chunkCountOf(elements: number, chunkElements: number): number {
  return Math.ceil(elements / chunkElements);
}

/** Raw element count of chunk `i`. */
export function chunkElementsAt(h: ContainerHeader, i: number): number {
  return Math.min(h.chunkElements, h.elements - i * h.chunkElements);
}

export function elementsOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Checks the header's fields for consistency; `fail` builds the error to throw. */
function checkFields(h: HeaderFields, fail: (msg: string) => Error): void {
  if (!isCodecId(h.codec)) throw fail(`unknown codec ${String(h.codec)}`);
  if (!DTYPES.includes(h.dtype)) throw fail(`unknown dtype ${String(h.dtype)}`);
  if (!LAYOUTS.includes(h.layout)) throw fail(`unknown layout ${String(h.layout)}`);
  if (!LAYOUTS.includes(h.codecLayout)) throw fail(`unknown codec layout ${String(h.codecLayout)}`);
  if (h.shape.length > MAX_DIMS)
    throw fail(`shape has ${h.shape.length} dimensions; at most ${MAX_DIMS}`);
  for (const d of h.shape)
    if (!Number.isSafeInteger(d) || d < 0)
      throw fail(`shape dimension ${d} is not a non-negative integer`);
  if (!Number.isSafeInteger(h.elements) || h.elements < 0 || h.elements > MAX_ELEMENTS)
    throw fail(`element count ${h.elements} is out of range`);
  const product = h.shape.reduce((a, d) => a * d, 1);
  if (product !== h.elements)
    throw fail(
      `shape [${h.shape.join(', ')}] holds ${product} elements but the header says ${h.elements}`,
    );
  const eb = DTYPE_BYTES[h.dtype];
  if (
    !Number.isSafeInteger(h.chunkElements) ||
    h.chunkElements < CHUNK_ELEMENT_MULTIPLE ||
    h.chunkElements % CHUNK_ELEMENT_MULTIPLE !== 0 ||
    h.chunkElements * eb > MAX_CHUNK_BYTES
  )
    throw fail(
      `chunk of ${h.chunkElements} elements is invalid: it must be a positive multiple of ${CHUNK_ELEMENT_MULTIPLE} elements and at most ${MAX_CHUNK_BYTES} bytes`,
    );
  if (chunkCountOf(h.elements, h.chunkElements) > MAX_CHUNKS)
    throw fail(
      `${h.elements} elements in chunks of ${h.chunkElements} make more than ${MAX_CHUNKS} chunks`,
    );
  if ((h.layout === 'flat') !== (h.codecLayout === 'flat'))
    throw fail(
      `layout ${h.layout} and codec layout ${h.codecLayout} must both be set or both be flat`,
    );
  if (h.layout !== 'flat' && h.shape.length !== 4)
    throw fail(`layout ${h.layout} needs a 4-D shape, got [${h.shape.join(', ')}]`);
}

/** Size of the header that `encodeHeader` writes for these fields. */
export function headerSize(h: Pick<HeaderFields, 'shape' | 'params'>): number {
  let n = FIXED_HEADER_BYTES + 8 * h.shape.length + 4;
  for (const name of Object.keys(h.params)) n += 1 + name.length + 8;
  return n;
}

/** Validates the fields and returns the complete header record. */
export function makeHeader(fields: HeaderFields): ContainerHeader {
  const params = normalizeParams(fields.params);
  const f = { ...fields, params, shape: [...fields.shape] };
  checkFields(f, (m) => new InvalidArgumentError(m));
  return {
    ...f,
    version: FORMAT_VERSION,
    chunkCount: chunkCountOf(f.elements, f.chunkElements),
    headerBytes: headerSize(f),
  };
}

function writeU64(view: DataView, off: number, v: number): void {
  view.setUint32(off, v % 0x1_0000_0000, true);
  view.setUint32(off + 4, Math.floor(v / 0x1_0000_0000), true);
}

function readU64(view: DataView, off: number): number {
  const lo = view.getUint32(off, true);
  const hi = view.getUint32(off + 4, true);
  // hi >= 2^21 means the value is beyond 2^53: report it as such, not rounded.
  return hi >= 0x20_0000 ? Infinity : hi * 0x1_0000_0000 + lo;
}

/** Writes the header into `out` at `offset`; returns the bytes written. */
export function encodeHeader(h: ContainerHeader, out: Uint8Array, offset = 0): number {
  const size = h.headerBytes;
  if (out.length - offset < size)
    throw new InvalidArgumentError(`output buffer too small for the ${size}-byte header`);
  const view = new DataView(out.buffer, out.byteOffset + offset, size);
  out.set(MAGIC, offset);
  view.setUint8(4, h.version);
  view.setUint8(5, 0);
  view.setUint16(6, size, true);
  view.setUint8(8, codecDescriptor(h.codec).containerId);
  view.setUint8(9, DTYPES.indexOf(h.dtype));
  view.setUint8(10, LAYOUTS.indexOf(h.layout));
  view.setUint8(11, LAYOUTS.indexOf(h.codecLayout));
  view.setUint8(12, h.shape.length);
  view.setUint8(13, Object.keys(h.params).length);
  view.setUint16(14, 0, true);
  writeU64(view, 16, h.elements);
  view.setUint32(24, h.chunkElements, true);
  view.setUint32(28, h.chunkCount, true);
  let p = FIXED_HEADER_BYTES;
  for (const d of h.shape) {
    writeU64(view, p, d);
    p += 8;
  }
  for (const [name, value] of Object.entries(h.params)) {
    view.setUint8(p, name.length);
    for (let i = 0; i < name.length; i++) view.setUint8(p + 1 + i, name.charCodeAt(i));
    p += 1 + name.length;
    view.setFloat64(p, value, true);
    p += 8;
  }
  view.setUint32(p, crc32(out.subarray(offset, offset + p)), true);
  return size;
}

function corrupt(msg: string, reason: CorruptReason = 'bad-header'): ContainerCorruptError {
  return new ContainerCorruptError(reason, msg);
}

function enumAt<T>(table: readonly T[], code: number, what: string): T {
  const v = table[code];
  if (v === undefined) throw corrupt(`unknown ${what} code ${code}`);
  return v;
}

/**
 * Parses and checks the header at the start of `bytes`. Reads nothing beyond
 * `bytes.length`; every problem is a CorruptDataError naming it.
 */
export function decodeHeader(bytes: Uint8Array): ContainerHeader {
  if (bytes.length < 4 || MAGIC.some((b, i) => bytes[i] !== b))
    throw corrupt('bad magic (expected "CDMA")', 'bad-magic');
  if (bytes.length < FIXED_HEADER_BYTES)
    throw corrupt(
      `truncated header: ${bytes.length} bytes, the fixed part alone is ${FIXED_HEADER_BYTES}`,
      'truncated',
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const version = view.getUint8(4);
  if (version !== FORMAT_VERSION)
    throw corrupt(
      `unsupported format version ${version} (this cdma reads version ${FORMAT_VERSION})`,
      'unsupported-version',
    );
  const size = view.getUint16(6, true);
  if (size < FIXED_HEADER_BYTES + 4 || size > MAX_HEADER_BYTES)
    throw corrupt(
      `header length ${size} is outside ${FIXED_HEADER_BYTES + 4}..${MAX_HEADER_BYTES}`,
    );
  if (bytes.length < size)
    throw corrupt(`truncated header: ${bytes.length} of ${size} bytes`, 'truncated');
  const stored = view.getUint32(size - 4, true);
  const actual = crc32(bytes.subarray(0, size - 4));
  if (stored !== actual)
    throw corrupt(
      `header checksum mismatch (stored ${hex32(stored)}, computed ${hex32(actual)})`,
      'header-checksum',
    );
  if (view.getUint8(5) !== 0)
    throw corrupt(`unsupported flags ${view.getUint8(5)}`, 'unsupported-version');
  if (view.getUint16(14, true) !== 0) throw corrupt('reserved header bytes 14-15 are not zero');
  const codecCode = view.getUint8(8);
  const descriptor = codecByContainerId(codecCode);
  if (descriptor === undefined)
    throw corrupt(`unknown codec code ${codecCode} (no registered codec has this container id)`);
  const codec = descriptor.id;
  const dtype = enumAt(DTYPES, view.getUint8(9), 'dtype');
  const layout = enumAt(LAYOUTS, view.getUint8(10), 'layout');
  const codecLayout = enumAt(LAYOUTS, view.getUint8(11), 'codec layout');
  const ndim = view.getUint8(12);
  const nparams = view.getUint8(13);
  if (ndim > MAX_DIMS) throw corrupt(`${ndim} dimensions; at most ${MAX_DIMS}`);
  if (nparams > MAX_PARAMS) throw corrupt(`${nparams} codec parameters; at most ${MAX_PARAMS}`);
  const elements = readU64(view, 16);
  const chunkElements = view.getUint32(24, true);
  const chunkCount = view.getUint32(28, true);
  let p = FIXED_HEADER_BYTES;
  const end = size - 4;
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) {
    if (p + 8 > end) throw corrupt('shape runs past the header length');
    shape.push(readU64(view, p));
    p += 8;
  }
  const params: Record<string, number> = {};
  let previous = '';
  for (let i = 0; i < nparams; i++) {
    if (p + 1 > end) throw corrupt('codec parameters run past the header length');
    const len = view.getUint8(p);
    if (p + 1 + len + 8 > end) throw corrupt('codec parameters run past the header length');
    const name = String.fromCharCode(...bytes.subarray(p + 1, p + 1 + len));
    if (!PARAM_NAME.test(name))
      throw corrupt(`codec parameter name ${JSON.stringify(name)} is invalid`);
    if (name <= previous) throw corrupt('codec parameters are not sorted by name or repeat');
    const value = view.getFloat64(p + 1 + len, true);
    if (!Number.isFinite(value)) throw corrupt(`codec parameter ${name} is not finite`);
    Object.defineProperty(params, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    previous = name;
    p += 1 + len + 8;
  }
  if (p !== end)
    throw corrupt(`header length ${size} does not match its contents (${p + 4} bytes)`);
  // A writer records every parameter, defaults included: a missing one is never filled in.
  for (const spec of descriptor.params)
    if (!Object.hasOwn(params, spec.name))
      throw corrupt(
        `codec ${codec} parameter ${spec.name} is missing (a container records all of ${descriptor.params.map((q) => q.name).join(', ')})`,
      );
  const fields: HeaderFields = {
    codec,
    params,
    dtype,
    layout,
    codecLayout,
    shape,
    elements,
    chunkElements,
  };
  checkFields(fields, corrupt);
  if (chunkCount !== chunkCountOf(elements, chunkElements))
    throw corrupt(
      `chunk count ${chunkCount} does not match ${elements} elements in chunks of ${chunkElements}`,
    );
  return { ...fields, version, chunkCount, headerBytes: size };
}
