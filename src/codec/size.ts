/**
 * Exact compressed sizes without keeping the output, for the study and the
 * memory manager, which ask often. Sizes are codec payload bytes, without the
 * container's header and frames (docs/FORMAT.md adds those).
 *
 * Each codec's encodedSize gives the size: zvc 4*ceil(n/32) + eb*nnz from a
 * SIMD non-zero count, no encode; rle a counting pass over the words; zlib
 * has to deflate; none n*eb. Codecs whose size does not depend on the element
 * order (descriptor orderFreeSize) are measured without transposing.
 */
import { InvalidArgumentError } from '../errors.js';
import { bytesOf, checkElements, type TypedArray } from './bytes.js';
import { DTYPE_BYTES, type CodecId, type CodecParams, type DType } from './codec.js';
import { checkOptionNames } from './container/options.js';
import { transpose, type Layout } from './layout.js';
import { codecDescriptor, getCodec } from './registry.js';
import { isTensorLike, readTensor, type TensorLike } from './tensor-input.js';

export interface SizeOptions {
  /** Codec id; default 'zvc'. */
  readonly codec?: CodecId;
  /** Element type; implied by a Float32Array (float32) or a tensor, required otherwise. */
  readonly dtype?: DType;
  readonly params?: CodecParams;
  /** Shape of `data` (needed when layout and codecLayout differ). */
  readonly shape?: readonly number[];
  /** Layout of `data`; default 'nchw'. */
  readonly layout?: Layout;
  /** Layout the codec runs on; default: `layout` (no transposition). */
  readonly codecLayout?: Layout;
}

const SIZE_OPTION_NAMES = ['codec', 'dtype', 'params', 'shape', 'layout', 'codecLayout'];

/** The dtype of `data`: options.dtype, checked against what the array or tensor implies. */
function sizeDtype(data: TypedArray | Uint8Array, given: DType | undefined): DType {
  const dtype = given ?? (data instanceof Float32Array ? 'float32' : undefined);
  if (dtype === undefined)
    throw new InvalidArgumentError(
      `compressedSize needs options.dtype (float32, float16 or bfloat16) for a ${data.constructor.name}`,
    );
  if (DTYPE_BYTES[dtype] === undefined)
    throw new InvalidArgumentError(
      `unknown dtype '${String(dtype)}'; use float32, float16 or bfloat16`,
    );
  return dtype;
}

/**
 * Exact payload size of `data` (a typed array, or a tensor object such as a
 * tf.Tensor) under `options.codec` (default zvc); the container adds its
 * header and frames (docs/FORMAT.md).
 */
export function compressedSize(
  data: TypedArray | Uint8Array | TensorLike,
  options: SizeOptions = {},
): number {
  checkOptionNames(options, SIZE_OPTION_NAMES, 'compressedSize');
  if (isTensorLike(data)) {
    const t = readTensor(data);
    if (options.dtype !== undefined && options.dtype !== t.dtype)
      throw new InvalidArgumentError(
        `the tensor is ${t.dtype}; option dtype ${options.dtype} disagrees`,
      );
    return compressedSize(t.data, { ...options, dtype: t.dtype, shape: options.shape ?? t.shape });
  }
  if (!ArrayBuffer.isView(data) || data instanceof DataView)
    throw new InvalidArgumentError(
      `compressedSize takes a typed array or a tensor (dtype, shape, dataSync()), not ${String(data)}`,
    );
  const dtype = sizeDtype(data, options.dtype);
  const eb = DTYPE_BYTES[dtype];
  const id = options.codec ?? 'zvc';
  const descriptor = codecDescriptor(id);
  let bytes = bytesOf(data);
  checkElements(bytes.length, eb);
  const codec = getCodec(id, options.params);
  if (descriptor.orderFreeSize === true) return codec.encodedSize(bytes, eb);
  const layout = options.layout ?? 'nchw';
  const codecLayout = options.codecLayout ?? layout;
  if (codecLayout !== layout) {
    if (options.shape === undefined)
      throw new InvalidArgumentError('a codec layout other than the data layout needs the shape');
    bytes = transpose(bytes, eb, options.shape, layout, codecLayout);
  }
  return codec.encodedSize(bytes, eb);
}

/** Raw bytes / compressed payload bytes (1 for an empty array). */
export function compressionRatio(
  data: TypedArray | Uint8Array | TensorLike,
  options: SizeOptions = {},
): number {
  const size = compressedSize(data, options);
  if (size === 0) return 1;
  if (!isTensorLike(data)) return data.byteLength / size;
  const eb = DTYPE_BYTES[data.dtype as DType] ?? 4;
  return (eb * data.shape.reduce((a, d) => a * d, 1)) / size;
}
