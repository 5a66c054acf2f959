/**
 * The codec contract. A codec turns the raw little-endian bytes of a typed
 * array into fewer bytes and back, losslessly (bit-exact). Codecs are tiny
 * objects registered by id (see registry.ts); the container (container.ts)
 * frames their output with headers and checksums.
 */

/** Element types cdma compresses. 16-bit types are handled as bit patterns. */
export type DType = 'float32' | 'float16' | 'bfloat16';

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<DType, 2 | 4>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
};

export type CodecId = 'none' | 'zvc' | 'rle' | 'zlib';

/** Numeric parameters of a codec, stored in the container header. */
export type CodecParams = Readonly<Record<string, number>>;

export interface Codec {
  readonly id: CodecId;
  readonly params: CodecParams;
  /** Largest possible encoded size of `byteLength` bytes of `elementBytes`-wide elements. */
  maxEncodedSize(byteLength: number, elementBytes: 2 | 4): number;
  /** Exact encoded size, computed without keeping the output. */
  encodedSize(src: Uint8Array, elementBytes: 2 | 4): number;
  /**
   * Encode `src` (a whole number of elements). With `out`, writes there (it must
   * hold maxEncodedSize bytes) and returns the written subarray.
   */
  encode(src: Uint8Array, elementBytes: 2 | 4, out?: Uint8Array): Uint8Array;
  /**
   * Decode exactly `byteLength` bytes. Trusts nothing: malformed input throws
   * CorruptDataError, never reads or writes out of bounds.
   */
  decode(src: Uint8Array, elementBytes: 2 | 4, byteLength: number, out?: Uint8Array): Uint8Array;
}
