/**
 * The ZVC format (DESIGN.md section 2, docs/CODECS.md): the tensor is cut into
 * blocks of 32 elements; each block is a 32-bit little-endian mask (bit i set
 * when element i is non-zero, bit 0 = first element) followed by the block's
 * non-zero elements in order. A last partial block has zero bits for the
 * missing elements. An element is zero only when all its bits are zero, so
 * -0.0 and NaN are stored.
 */
import type { ElementBytes } from './bytes.js';

/** Elements per block (one 32-bit mask each). */
export const ZVC_BLOCK = 32;

/** Exact encoded size of n elements of which nnz are non-zero: 4*ceil(n/32) + eb*nnz. */
export function zvcSize(n: number, nnz: number, eb: ElementBytes): number {
  return 4 * Math.ceil(n / ZVC_BLOCK) + eb * nnz;
}

/** Largest encoded size of n elements (all non-zero). */
export function zvcMaxSize(n: number, eb: ElementBytes): number {
  return zvcSize(n, n, eb);
}
