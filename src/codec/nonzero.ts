/**
 * Counting non-zero elements: an element is zero only when all its bits are
 * zero, so -0.0 and NaN count as non-zero (cdma is lossless).
 */
import { bytesOf, checkElements, type ElementBytes, type TypedArray } from './bytes.js';
import { InvalidArgumentError } from '../errors.js';
import { DTYPE_BYTES } from './codec.js';
import { isTensorLike, readTensor, type TensorLike } from './tensor-input.js';
import { zvcKernelFor, type ZvcImplChoice } from './zvc-impl.js';

/**
 * Non-zero elements of `data` read as `elementBytes`-wide words: WebAssembly
 * SIMD where available (about twice the TypeScript loop's speed), else TypeScript.
 */
export function countNonZero(
  data: TypedArray | Uint8Array,
  elementBytes: ElementBytes,
  impl?: ZvcImplChoice,
): number {
  const b = bytesOf(data);
  checkElements(b.length, elementBytes);
  const kernel = zvcKernelFor(impl);
  return kernel ? kernel.countNonZero(b, elementBytes) : countNonZeroTs(b, elementBytes);
}

/** countNonZero in plain TypeScript (whole elements expected). */
export function countNonZeroTs(b: Uint8Array, elementBytes: ElementBytes): number {
  const n = Math.floor(b.length / elementBytes);
  if (b.byteOffset % elementBytes !== 0) return countUnaligned(b, n, elementBytes);
  let nz = 0;
  if (elementBytes === 4) {
    const w = new Int32Array(b.buffer, b.byteOffset, n);
    for (let i = 0; i < n; i++) nz += (w[i] | -w[i]) >>> 31;
  } else {
    const w = new Uint16Array(b.buffer, b.byteOffset, n);
    for (let i = 0; i < n; i++) nz += (w[i] + 0xffff) >>> 16;
  }
  return nz;
}

function countUnaligned(b: Uint8Array, n: number, eb: ElementBytes): number {
  let nz = 0;
  for (let i = 0; i < n * eb; i += eb) {
    let any = b[i] | b[i + 1];
    if (eb === 4) any |= b[i + 2] | b[i + 3];
    if (any !== 0) nz++;
  }
  return nz;
}

/**
 * Non-zero elements / elements (0 for an empty array). The element width
 * defaults to 4 for a Float32Array, 2 for a Uint16Array (float16/bfloat16
 * bits) and the dtype's for a tensor object (a tf.Tensor); other arrays need it.
 */
export function density(
  data: TypedArray | Uint8Array | TensorLike,
  elementBytes?: ElementBytes,
): number {
  if (isTensorLike(data)) {
    const t = readTensor(data);
    return density(t.data, elementBytes ?? DTYPE_BYTES[t.dtype]);
  }
  const eb =
    elementBytes ??
    (data instanceof Float32Array ? 4 : data instanceof Uint16Array ? 2 : undefined);
  if (eb === undefined)
    throw new InvalidArgumentError(
      `density of a ${data.constructor.name} needs the element width: density(data, 4) or density(data, 2)`,
    );
  const n = data.byteLength / eb;
  return n === 0 ? 0 : countNonZero(data, eb) / n;
}
