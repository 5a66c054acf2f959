/**
 * Checks what a caller hands compress() and turns it into a container header:
 * typed array and dtype agree, shape holds the data, layouts are 4-D, chunk
 * size is a whole number of 32-element blocks.
 */
import { InvalidArgumentError } from '../../errors.js';
import { DTYPE_BYTES, type Codec, type CodecId, type CodecParams, type DType } from '../codec.js';
import { codecDescriptor, isCodecId as codecKnown } from '../registry.js';
import { isTensorLike, readTensor, type TensorLike } from '../tensor-input.js';
import {
  CHUNK_ELEMENT_MULTIPLE,
  DEFAULT_CHUNK_BYTES,
  LAYOUTS,
  MAX_CHUNK_BYTES,
  makeHeader,
  type ContainerHeader,
  type ContainerLayout,
} from './format.js';

/** Tensor data: float32 values, 16-bit patterns (float16/bfloat16), or raw little-endian bytes. */
export type TensorData = Float32Array | Uint16Array | Uint8Array;

/** What compress() takes: tensor data, or a tensor object such as a tf.Tensor (tensor-input.ts). */
export type CompressInput = TensorData | TensorLike;

export interface CompressOptions {
  /** Codec id; default 'zvc'. */
  readonly codec?: CodecId;
  /** Codec parameters, e.g. { level: 9 } for zlib; the codec's defaults fill the rest. */
  readonly params?: CodecParams;
  /** Element type. Implied (float32) for a Float32Array; required for Uint16Array and Uint8Array. */
  readonly dtype?: DType;
  /** Shape of the tensor; default [number of elements]. */
  readonly shape?: readonly number[];
  /** Layout the data is stored in (needs a 4-D shape); default 'flat' (none). */
  readonly layout?: ContainerLayout;
  /** Layout the codec runs on; the data is transposed to it first. Default: `layout`. */
  readonly codecLayout?: ContainerLayout;
  /** Raw bytes per chunk, a multiple of 32 elements; default 1 MiB. */
  readonly chunkBytes?: number;
}

/** The names CompressOptions has; any other key is an InvalidArgumentError. */
export const COMPRESS_OPTION_NAMES: readonly string[] = [
  'codec',
  'params',
  'dtype',
  'shape',
  'layout',
  'codecLayout',
  'chunkBytes',
];

/**
 * Throws InvalidArgumentError unless `options` is an object whose keys are
 * all in `known` (keys set to undefined count as absent). The message names
 * the key and lists the valid ones; a codec parameter given as an option is
 * pointed to `params`.
 */
export function checkOptionNames(
  options: unknown,
  known: readonly string[],
  what: string,
  codec?: string,
): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new InvalidArgumentError(`${what} options must be an object, not ${String(options)}`);
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || known.includes(key)) continue;
    let hint = '';
    if (codec !== undefined) {
      const d = codecDescriptor(codec);
      if (d.params.some((s) => s.name === key))
        hint = `; codec parameters go in params: { params: { ${key}: ${String(value)} } }`;
      else if (d.params.length === 0) hint = `; codec ${codec} takes no parameters`;
      else
        hint = `; codec ${codec} takes parameters ${d.params.map((s) => s.name).join(', ')} (in params)`;
    }
    throw new InvalidArgumentError(
      `unknown ${what} option '${key}'; valid options: ${known.join(', ')}${hint}`,
    );
  }
}

/**
 * A tensor object read once into its typed array, with its dtype and shape
 * filled into the options (a dtype given there must agree); other data and
 * options pass through.
 */
export function compressInput(
  data: CompressInput,
  options: CompressOptions = {},
): { data: TensorData; options: CompressOptions } {
  if (!isTensorLike(data)) return { data, options };
  const t = readTensor(data);
  if (options?.dtype !== undefined && options.dtype !== t.dtype)
    throw new InvalidArgumentError(
      `the tensor is ${t.dtype}; option dtype ${options.dtype} disagrees`,
    );
  return {
    data: t.data,
    options: { ...options, dtype: t.dtype, shape: options?.shape ?? t.shape },
  };
}

export type CodecLookup = (id: CodecId, params?: CodecParams) => Codec;

/** A checked compress request. */
export interface CompressPlan {
  readonly header: ContainerHeader;
  readonly codec: Codec;
}

function dtypeOf(data: TensorData | number, dtype: DType | undefined): DType {
  if (
    typeof data !== 'number' &&
    !(data instanceof Float32Array || data instanceof Uint16Array || data instanceof Uint8Array)
  )
    throw new InvalidArgumentError(
      `cdma compresses a Float32Array, a Uint16Array (float16/bfloat16 bits), a Uint8Array (raw bytes, with dtype) or a tensor (dtype, shape, dataSync()), not ${describe(data)}`,
    );
  if (dtype !== undefined && !(dtype in DTYPE_BYTES))
    throw new InvalidArgumentError(
      `unknown dtype '${String(dtype)}'; use float32, float16 or bfloat16`,
    );
  if (data instanceof Float32Array) {
    if (dtype !== undefined && dtype !== 'float32')
      throw new InvalidArgumentError(`a Float32Array holds float32, not ${dtype}`);
    return 'float32';
  }
  if (data instanceof Uint16Array) {
    if (dtype !== 'float16' && dtype !== 'bfloat16')
      throw new InvalidArgumentError(
        'a Uint16Array needs dtype float16 or bfloat16 (it holds their bit patterns)',
      );
    return dtype;
  }
  if (dtype === undefined)
    throw new InvalidArgumentError('raw bytes need a dtype: float32, float16 or bfloat16');
  return dtype;
}

function describe(x: unknown): string {
  if (x === null || typeof x !== 'object') return String(x);
  return x.constructor?.name ?? 'an object';
}

function layoutOf(v: ContainerLayout | undefined, what: string): ContainerLayout {
  const layout = v ?? 'flat';
  if (!LAYOUTS.includes(layout))
    throw new InvalidArgumentError(
      `unknown ${what} '${String(layout)}'; use ${LAYOUTS.join(', ')}`,
    );
  return layout;
}

/** The codec an unknown-option message talks about: the one asked for (default zvc) if registered. */
function hintCodec(id: unknown): string | undefined {
  const codec = id ?? 'zvc';
  return typeof codec === 'string' && codecKnown(codec) ? codec : undefined;
}

/** Elements per chunk for `chunkBytes` of `dtype`. */
export function chunkElementsFor(chunkBytes: number | undefined, dtype: DType): number {
  const eb = DTYPE_BYTES[dtype];
  const bytes = chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const unit = CHUNK_ELEMENT_MULTIPLE * eb;
  if (!Number.isSafeInteger(bytes) || bytes < unit || bytes % unit !== 0 || bytes > MAX_CHUNK_BYTES)
    throw new InvalidArgumentError(
      `chunk size ${bytes} B is invalid for ${dtype}: use a multiple of ${unit} B (32 elements) up to ${MAX_CHUNK_BYTES} B`,
    );
  return bytes / eb;
}

/** Byte view of `data` (no copy). */
export function bytesOf(data: TensorData): Uint8Array {
  return data instanceof Uint8Array
    ? data
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Checks `options` against `data` (or an element count, for size queries; a
 * number then stands for raw bytes only when `dtype` is given) and builds the
 * header and codec.
 */
export function planCompress(
  data: TensorData | number,
  options: CompressOptions,
  getCodec: CodecLookup,
  extraOptions: readonly string[] = [],
): CompressPlan {
  checkOptionNames(
    options,
    extraOptions.length === 0 ? COMPRESS_OPTION_NAMES : [...COMPRESS_OPTION_NAMES, ...extraOptions],
    'compress',
    hintCodec(options?.codec),
  );
  const dtype = dtypeOf(data, options.dtype);
  const eb = DTYPE_BYTES[dtype];
  let elements: number;
  if (typeof data === 'number') {
    if (!Number.isSafeInteger(data) || data < 0)
      throw new InvalidArgumentError(`element count ${data} is not a non-negative integer`);
    elements = data;
  } else {
    if (data.byteLength % eb !== 0)
      throw new InvalidArgumentError(
        `${data.byteLength} bytes is not a whole number of ${dtype} elements`,
      );
    elements = data.byteLength / eb;
  }
  const shape = options.shape ? [...options.shape] : [elements];
  for (const d of shape)
    if (!Number.isSafeInteger(d) || d < 0)
      throw new InvalidArgumentError(
        `shape [${shape.join(', ')}] has a dimension that is not a non-negative integer`,
      );
  const product = shape.reduce((a, d) => a * d, 1);
  if (product !== elements)
    throw new InvalidArgumentError(
      `shape [${shape.join(', ')}] holds ${product} elements but the data has ${elements}`,
    );
  const layout = layoutOf(options.layout, 'layout');
  const codecLayout = layoutOf(options.codecLayout ?? options.layout, 'codec layout');
  if (layout === 'flat' && codecLayout !== 'flat')
    throw new InvalidArgumentError('codecLayout needs the layout of the data too (option layout)');
  if (layout !== 'flat' && codecLayout === 'flat')
    throw new InvalidArgumentError(
      `codec layout must be nchw, nhwc or chwn when layout is ${layout}`,
    );
  if (layout !== 'flat' && shape.length !== 4)
    throw new InvalidArgumentError(`layout ${layout} needs a 4-D shape, got [${shape.join(', ')}]`);
  const id = options.codec ?? 'zvc';
  const descriptor = codecDescriptor(id);
  if (!descriptor.elementBytes.includes(eb))
    throw new InvalidArgumentError(
      `codec ${id} does not take ${eb}-byte elements (${dtype}); it takes ${descriptor.elementBytes.join(' or ')}-byte ones`,
    );
  const codec = getCodec(id, options.params);
  const header = makeHeader({
    codec: id,
    params: codec.params,
    dtype,
    layout,
    codecLayout,
    shape,
    elements,
    chunkElements: chunkElementsFor(options.chunkBytes, dtype),
  });
  return { header, codec };
}
