/**
 * Tensors from other libraries, duck-typed: anything with a `dtype`, a
 * `shape` and `dataSync()` (a tf.Tensor of TensorFlow.js, for one) is read
 * once into a typed array. Nothing here imports TensorFlow.js.
 */
import { InvalidArgumentError } from '../errors.js';
import { DTYPE_BYTES, type DType } from './codec.js';

/**
 * What cdma reads from a tensor object: its element type, its shape and its
 * values. A tf.Tensor (TensorFlow.js) fits as it is.
 */
export interface TensorLike {
  readonly dtype: string;
  readonly shape: readonly number[];
  /** The values, synchronously (tf.Tensor.dataSync). */
  dataSync(): ArrayLike<number> | ArrayBufferView;
}

/** A tensor's values and facts as compress() takes them. */
export interface TensorValuesOf {
  readonly data: Float32Array | Uint16Array;
  readonly dtype: DType;
  readonly shape: number[];
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

/** True for objects shaped like a tensor (dtype, shape, and dataSync or data), not typed arrays. */
export function isTensorLike(x: unknown): x is TensorLike {
  return (
    isObject(x) &&
    !ArrayBuffer.isView(x) &&
    typeof x.dtype === 'string' &&
    Array.isArray(x.shape) &&
    (typeof x.dataSync === 'function' || typeof x.data === 'function')
  );
}

/**
 * Reads a tensor object once: float32 tensors give a Float32Array, float16 and
 * bfloat16 ones a Uint16Array of their bit patterns. Other element types are
 * an InvalidArgumentError saying what cdma takes.
 */
export function readTensor(t: TensorLike): TensorValuesOf {
  const dtype = t.dtype;
  if (!(dtype in DTYPE_BYTES))
    throw new InvalidArgumentError(
      `cdma compresses float32, float16 and bfloat16 tensors, not ${dtype}; cast it first (tf.cast(x, 'float32'))`,
    );
  if (typeof t.dataSync !== 'function')
    throw new InvalidArgumentError(
      'the tensor has no dataSync(); pass its values instead: compress(await x.data(), { dtype, shape })',
    );
  const shape = [...t.shape];
  for (const d of shape)
    if (!Number.isSafeInteger(d) || d < 0)
      throw new InvalidArgumentError(
        `tensor shape [${shape.join(', ')}] has a dimension that is not a non-negative integer`,
      );
  let values: ReturnType<TensorLike['dataSync']>;
  try {
    values = t.dataSync();
  } catch (e) {
    // tfjs's webgpu backend in Node has no synchronous readback (it needs an OffscreenCanvas).
    throw new InvalidArgumentError(
      `the tensor's dataSync() failed (${e instanceof Error ? e.message : String(e)}); ` +
        'pass its values instead: compress(await x.data(), { dtype, shape })',
    );
  }
  const want = dtype === 'float32' ? Float32Array : Uint16Array;
  if (!(values instanceof want))
    throw new InvalidArgumentError(
      `a ${dtype} tensor's dataSync() gave ${values?.constructor?.name ?? typeof values}, not a ${want.name}`,
    );
  const elements = shape.reduce((a, d) => a * d, 1);
  if (values.length !== elements)
    throw new InvalidArgumentError(
      `the tensor's shape [${shape.join(', ')}] holds ${elements} elements but dataSync() gave ${values.length}`,
    );
  return { data: values, dtype: dtype as DType, shape };
}
