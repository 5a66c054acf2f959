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
import { transpose, type Layout } from './layout.js';
import { codecDescriptor, getCodec } from './registry.js';

export interface SizeOptions {
  readonly codec: CodecId;
  readonly dtype: DType;
  readonly params?: CodecParams;
  /** Shape of `data` (needed when layout and codecLayout differ). */
  readonly shape?: readonly number[];
  /** Layout of `data`; default 'nchw'. */
  readonly layout?: Layout;
  /** Layout the codec runs on; default: `layout` (no transposition). */
  readonly codecLayout?: Layout;
}

/** Exact payload size of `data` under `options.codec`. */
export function compressedSize(data: TypedArray | Uint8Array, options: SizeOptions): number {
  const eb = DTYPE_BYTES[options.dtype];
  if (eb === undefined) throw new InvalidArgumentError(`unknown dtype '${String(options.dtype)}'`);
  const descriptor = codecDescriptor(options.codec);
  let bytes = bytesOf(data);
  checkElements(bytes.length, eb);
  const codec = getCodec(options.codec, options.params);
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
export function compressionRatio(data: TypedArray | Uint8Array, options: SizeOptions): number {
  const size = compressedSize(data, options);
  return size === 0 ? 1 : data.byteLength / size;
}
