/**
 * Cheap descriptors of an activation's zero pattern, computed on the raw bit
 * patterns of float32 elements (an element is zero only when all its bits are
 * zero: -0.0 and NaN count as non-zero, as everywhere in cdma).
 *
 * - zero-run length: the mean length of maximal runs of consecutive zeros in
 *   memory order (so it depends on the layout the buffer is in);
 * - all-zero block fraction: the share of 32-element blocks (ZVC's blocks;
 *   a last partial block counts as a block) whose elements are all zero;
 * - per-channel density spread: the standard deviation across channels of
 *   each channel's density, and the share of channels that are all zero.
 *
 * The scans are single passes over typed arrays with no allocation inside.
 */

/** Counts gathered by one pass over a buffer in one layout. */
export interface ZeroPattern {
  readonly elements: number;
  readonly nonzeros: number;
  /** Number of maximal runs of zeros. */
  readonly zeroRuns: number;
  /** Number of 32-element blocks whose elements are all zero. */
  readonly zeroBlocks: number;
  /** ceil(elements / 32). */
  readonly blocks: number;
}

export const BLOCK_ELEMENTS = 32;

/** One pass over `bits` (float32 bit patterns) in memory order; branch-free inner loop. */
export function zeroPattern(bits: Uint32Array): ZeroPattern {
  const n = bits.length;
  const w = new Int32Array(bits.buffer, bits.byteOffset, n);
  let nonzeros = 0;
  let zeroRuns = 0;
  let zeroBlocks = 0;
  let prevZero = 0;
  for (let start = 0; start < n; start += BLOCK_ELEMENTS) {
    const end = start + BLOCK_ELEMENTS < n ? start + BLOCK_ELEMENTS : n;
    let blockNonzeros = 0;
    for (let i = start; i < end; i++) {
      const v = w[i];
      const nz = (v | -v) >>> 31; // 1 when any bit is set
      const z = nz ^ 1;
      zeroRuns += z & (prevZero ^ 1); // a zero after a non-zero (or at the start) opens a run
      prevZero = z;
      blockNonzeros += nz;
    }
    zeroBlocks += blockNonzeros === 0 ? 1 : 0;
    nonzeros += blockNonzeros;
  }
  return { elements: n, nonzeros, zeroRuns, zeroBlocks, blocks: Math.ceil(n / BLOCK_ELEMENTS) };
}

/**
 * zeroPattern of a channels-last buffer (NHWC, or [N, C]) that also adds each
 * channel's non-zero count into `counts`, in the same single pass.
 */
export function zeroPatternWithChannels(
  bits: Uint32Array,
  channels: number,
  counts: Float64Array,
): ZeroPattern {
  const n = bits.length;
  if (channels <= 0 || n % channels !== 0) {
    throw new RangeError(`buffer of ${n} elements is not a whole number of ${channels} channels`);
  }
  if (counts.length !== channels) {
    throw new RangeError(`counts has ${counts.length} slots for ${channels} channels`);
  }
  const w = new Int32Array(bits.buffer, bits.byteOffset, n);
  let nonzeros = 0;
  let zeroRuns = 0;
  let zeroBlocks = 0;
  let prevZero = 0;
  let ch = 0;
  for (let start = 0; start < n; start += BLOCK_ELEMENTS) {
    const end = start + BLOCK_ELEMENTS < n ? start + BLOCK_ELEMENTS : n;
    let blockNonzeros = 0;
    for (let i = start; i < end; i++) {
      const v = w[i];
      const nz = (v | -v) >>> 31;
      const z = nz ^ 1;
      zeroRuns += z & (prevZero ^ 1);
      prevZero = z;
      blockNonzeros += nz;
      counts[ch] += nz;
      if (++ch === channels) ch = 0;
    }
    zeroBlocks += blockNonzeros === 0 ? 1 : 0;
    nonzeros += blockNonzeros;
  }
  return { elements: n, nonzeros, zeroRuns, zeroBlocks, blocks: Math.ceil(n / BLOCK_ELEMENTS) };
}

/** Mean length of the zero runs; 0 when there is no zero. */
export function meanZeroRun(p: ZeroPattern): number {
  return p.zeroRuns === 0 ? 0 : (p.elements - p.nonzeros) / p.zeroRuns;
}

/** Share of 32-element blocks that are all zero; 0 for an empty buffer. */
export function zeroBlockFraction(p: ZeroPattern): number {
  return p.blocks === 0 ? 0 : p.zeroBlocks / p.blocks;
}

/**
 * Adds the non-zero count of each channel of a channels-last buffer
 * (NHWC, or [N, C] for dense outputs) into `counts` (length = channels).
 */
export function countChannelNonzeros(
  bits: Uint32Array,
  channels: number,
  counts: Float64Array,
): void {
  if (channels <= 0 || bits.length % channels !== 0) {
    throw new RangeError(
      `buffer of ${bits.length} elements is not a whole number of ${channels} channels`,
    );
  }
  if (counts.length !== channels) {
    throw new RangeError(`counts has ${counts.length} slots for ${channels} channels`);
  }
  const n = bits.length;
  const w = new Int32Array(bits.buffer, bits.byteOffset, n);
  for (let base = 0; base < n; base += channels) {
    for (let c = 0; c < channels; c++) {
      const v = w[base + c];
      counts[c] += (v | -v) >>> 31;
    }
  }
}

export interface ChannelSpread {
  /** Standard deviation (population) of the per-channel densities. */
  readonly std: number;
  /** Share of channels with no non-zero element. */
  readonly deadFraction: number;
  readonly min: number;
  readonly max: number;
}

/** Spread of per-channel densities from counts over `perChannel` elements each. */
export function channelSpread(counts: Float64Array, perChannel: number): ChannelSpread {
  const c = counts.length;
  if (c === 0 || perChannel <= 0) return { std: 0, deadFraction: 0, min: 0, max: 0 };
  let sum = 0;
  let sumSq = 0;
  let dead = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < c; i++) {
    const d = counts[i] / perChannel;
    sum += d;
    sumSq += d * d;
    if (counts[i] === 0) dead++;
    if (d < min) min = d;
    if (d > max) max = d;
  }
  const mean = sum / c;
  const variance = Math.max(0, sumSq / c - mean * mean);
  return { std: Math.sqrt(variance), deadFraction: dead / c, min, max };
}
