/**
 * Memory layouts of 4-D activation tensors and transposition between them.
 * A layout names the axes from slowest to fastest varying: 'nchw' stores
 * batch, channel, row, column; 'nhwc' keeps a pixel's channels together;
 * 'chwn' keeps a position's batch together. RLE and zlib see different runs
 * in each; ZVC's size does not depend on the layout.
 */
import { InvalidArgumentError } from '../errors.js';

export type Layout = 'nchw' | 'nhwc' | 'chwn';

export const LAYOUTS: readonly Layout[] = ['nchw', 'nhwc', 'chwn'];

/** Throws unless `l` is a layout. */
export function checkLayout(l: string): asserts l is Layout {
  if (!(LAYOUTS as readonly string[]).includes(l))
    throw new InvalidArgumentError(`unknown layout '${l}'; use ${LAYOUTS.join(', ')}`);
}

function checkShape(shape4: readonly number[]): void {
  if (shape4.length !== 4 || !shape4.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw new InvalidArgumentError(
      `a layout needs a 4-D shape of non-negative integers, got [${shape4.join(', ')}]`,
    );
}

/** `shape4` (given in `from` order) in `to` order. */
export function permuteShape(shape4: readonly number[], from: Layout, to: Layout): number[] {
  checkShape(shape4);
  checkLayout(from);
  checkLayout(to);
  return [...to].map((axis) => shape4[from.indexOf(axis)]);
}

/**
 * Transposes the elements of a 4-D tensor from layout `from` to layout `to`.
 * `shape4` is the tensor's shape in `from` order; elements are
 * `elementBytes` wide (any width) and copied bit-exactly. Writes into `out`
 * (at least src.length bytes, not overlapping src) or a new array, and
 * returns the transposed bytes. transpose(transpose(x, s, a, b), permuteShape(s, a, b), b, a)
 * gives x back.
 */
export function transpose(
  src: Uint8Array,
  elementBytes: number,
  shape4: readonly number[],
  from: Layout,
  to: Layout,
  out?: Uint8Array,
): Uint8Array {
  if (!Number.isSafeInteger(elementBytes) || elementBytes < 1)
    throw new InvalidArgumentError(`element width ${elementBytes} is not a positive integer`);
  const toShape = permuteShape(shape4, from, to);
  const n = shape4.reduce((a, d) => a * d, 1);
  if (n * elementBytes !== src.length)
    throw new InvalidArgumentError(
      `shape [${shape4.join(', ')}] of ${elementBytes}-byte elements needs ${n * elementBytes} bytes, got ${src.length}`,
    );
  if (out !== undefined) {
    if (out.length < src.length)
      throw new InvalidArgumentError(
        `output of ${out.length} bytes cannot hold ${src.length} bytes`,
      );
    if (
      out.buffer === src.buffer &&
      out.byteOffset < src.byteOffset + src.length &&
      src.byteOffset < out.byteOffset + src.length
    )
      throw new InvalidArgumentError('transpose output must not overlap its input');
  }
  const dst = out === undefined ? new Uint8Array(src.length) : out.subarray(0, src.length);
  if (from === to) {
    dst.set(src);
    return dst;
  }
  // Copy in the widest unit that divides the element and both alignments.
  const unit =
    elementBytes % 4 === 0 && src.byteOffset % 4 === 0 && dst.byteOffset % 4 === 0
      ? 4
      : elementBytes % 2 === 0 && src.byteOffset % 2 === 0 && dst.byteOffset % 2 === 0
        ? 2
        : 1;
  const view = (b: Uint8Array): Uint8Array | Uint16Array | Uint32Array =>
    unit === 4
      ? new Uint32Array(b.buffer, b.byteOffset, b.length / 4)
      : unit === 2
        ? new Uint16Array(b.buffer, b.byteOffset, b.length / 2)
        : b;
  // Element strides of the source, per axis letter.
  const stride: Record<string, number> = {};
  let s = 1;
  for (let i = 3; i >= 0; i--) {
    stride[from[i]] = s;
    s *= shape4[i];
  }
  const k = elementBytes / unit;
  permute(
    view(src),
    view(dst),
    toShape,
    [...to].map((axis) => stride[axis] * k),
    k,
  );
  return dst;
}

/** dst (contiguous in `shape` order) = src gathered with per-axis `strides` (in units), k units per element. */
function permute(
  src: Uint8Array | Uint16Array | Uint32Array,
  dst: Uint8Array | Uint16Array | Uint32Array,
  shape: readonly number[],
  strides: readonly number[],
  k: number,
): void {
  const [A, B, C, D] = shape;
  const [sa, sb, sc, sd] = strides;
  let o = 0;
  for (let a = 0; a < A; a++) {
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++) {
        let p = a * sa + b * sb + c * sc;
        if (k === 1) {
          for (let d = 0; d < D; d++, p += sd) dst[o++] = src[p];
        } else {
          for (let d = 0; d < D; d++, p += sd) for (let u = 0; u < k; u++) dst[o++] = src[p + u];
        }
      }
    }
  }
}

/** The name the container uses for transpose. */
export const transposeLayout = transpose;
