/**
 * How many raw bytes one encoded byte can at most stand for, per codec. The
 * reader checks every chunk against this before it allocates anything, so a
 * forged header cannot make it allocate more than the input could produce.
 */
import type { CodecId, CodecParams } from '../codec.js';
import { RLE_DEFAULTS, rleMaxExpansion } from '../rle.js';

/**
 * DEFLATE's best case is a 258-byte match coded in 2 bits (1-bit length and
 * distance codes under dynamic Huffman): 1032 raw bytes per encoded byte.
 */
const DEFLATE_MAX_EXPANSION = 1032;

/** Upper bound on raw bytes per encoded byte for `codec` with `params`. */
export function maxExpansion(codec: CodecId, params: CodecParams, elementBytes: 2 | 4): number {
  switch (codec) {
    case 'none':
      return 1;
    case 'zvc':
      // 32 elements per 4-byte mask when every element is zero.
      return (32 * elementBytes) / 4;
    case 'zlib':
      return DEFLATE_MAX_EXPANSION;
    case 'rle':
      return rleBound(params, elementBytes);
  }
}

/** One token header of the run-field maximum stands for 2^runBits - 1 zero words. */
function rleBound(params: CodecParams, elementBytes: 2 | 4): number {
  const runBits = params.runBits ?? RLE_DEFAULTS.runBits;
  const litBits = params.litBits ?? RLE_DEFAULTS.litBits;
  return rleMaxExpansion({ runBits, litBits }, elementBytes);
}
