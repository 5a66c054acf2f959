/**
 * The codec contract. A codec turns the raw little-endian bytes of a typed
 * array into fewer bytes and back, losslessly (bit-exact). Each codec is one
 * `CodecDescriptor` (its id, container id, parameter schema and what it
 * does), registered by id in registry.ts; `getCodec` binds a descriptor to
 * checked parameters and gives a `Codec`. The container (container/) frames
 * codec output with headers and checksums.
 */
import type { ElementBytes } from './bytes.js';
import type { ZvcImplChoice } from './zvc-impl.js';

export type { ElementBytes } from './bytes.js';

/** Element types cdma compresses. 16-bit types are handled as bit patterns. */
export type DType = 'float32' | 'float16' | 'bfloat16';

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<DType, ElementBytes>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
};

/** The codecs cdma ships (registry.ts registers them). */
export type BuiltinCodecId = 'none' | 'zvc' | 'rle' | 'zlib';

/** A codec's name: one of cdma's, or one a program registered with registerCodec. */
export type CodecId = BuiltinCodecId | (string & {});

/** Numeric parameters of a codec, stored in the container header. */
export type CodecParams = Readonly<Record<string, number>>;

/** One parameter of a codec: its name, type, allowed range and default. */
export interface ParamSpec {
  /** 1-32 ASCII letters, digits or _ (the container stores the name). */
  readonly name: string;
  /** 'integer' takes whole numbers only; 'number' any finite number. */
  readonly type: 'integer' | 'number';
  readonly min: number;
  readonly max: number;
  /** Used when the caller leaves the parameter out; within min..max. */
  readonly default: number;
  readonly description: string;
}

/** What a codec does once its parameters are bound. */
export interface CodecOps {
  /** Largest possible encoded size of `byteLength` bytes of `elementBytes`-wide elements. */
  maxEncodedSize(byteLength: number, elementBytes: ElementBytes): number;
  /** Exact encoded size, computed without keeping the output. */
  encodedSize(src: Uint8Array, elementBytes: ElementBytes): number;
  /**
   * Encode `src` (a whole number of elements). With `out`, writes there (it must
   * hold maxEncodedSize bytes) and returns the written subarray.
   */
  encode(src: Uint8Array, elementBytes: ElementBytes, out?: Uint8Array): Uint8Array;
  /**
   * Decode exactly `byteLength` bytes, into `out` when given (at least
   * `byteLength` long). Trusts nothing: malformed input throws
   * CorruptDataError, never reads or writes out of bounds.
   */
  decode(
    src: Uint8Array,
    elementBytes: ElementBytes,
    byteLength: number,
    out?: Uint8Array,
  ): Uint8Array;
  /**
   * Most raw bytes one encoded byte can stand for. Readers check every chunk
   * against it before allocating, so a forged header cannot make them
   * allocate more than the input could produce.
   */
  maxExpansion(elementBytes: ElementBytes): number;
}

/** A codec with its parameters bound (what getCodec returns). */
export interface Codec extends CodecOps {
  readonly id: CodecId;
  /** Every parameter, defaults filled in, as the container records them. */
  readonly params: CodecParams;
}

/** Options that pick an implementation; a codec ignores those it does not use. */
export interface CodecOptions {
  /** zvc implementation: 'auto' (default; or CDMA_ZVC_IMPL), 'wasm' or 'ts'. */
  readonly zvcImpl?: ZvcImplChoice;
}

/** One annotated byte range of a payload (container dumps). */
export interface PayloadField {
  /** Offset in the payload. */
  readonly offset: number;
  readonly length: number;
  /** What the bytes mean; leading spaces nest it under the previous field. */
  readonly note: string;
}

/** What describePayload knows about the chunk it describes. */
export interface PayloadContext {
  readonly dtype: DType;
  readonly elementBytes: ElementBytes;
  readonly params: CodecParams;
  /** Index of the chunk's first element in the stored order. */
  readonly firstElement: number;
  /** Elements in the chunk. */
  readonly elements: number;
}

/**
 * Everything cdma knows about a codec. Adding a codec is one file exporting
 * its descriptor plus one registerCodec line (docs/CODECS.md).
 */
export interface CodecDescriptor {
  /** The name users pass (`compress(x, { codec: id })`, `--codec id`). */
  readonly id: CodecId;
  /**
   * The byte that names the codec in container headers: an integer 0-255,
   * unique, never changed once files exist. cdma's codecs use 0-3 and keep
   * 4-127 for future ones; use 128-255 for your own.
   */
  readonly containerId: number;
  /** One line, for help texts. */
  readonly description: string;
  /** The parameters, at most 16 (what a container header holds). */
  readonly params: readonly ParamSpec[];
  /** Element widths (bytes) the codec encodes. */
  readonly elementBytes: readonly ElementBytes[];
  /** The payload is the raw bytes unchanged: callers may copy instead of encoding. */
  readonly rawPayload?: boolean;
  /** encodedSize is a counting pass (no trial encode): writers size output with it. */
  readonly cheapExactSize?: boolean;
  /** The encoded size does not depend on the order of the elements (no need to transpose to measure). */
  readonly orderFreeSize?: boolean;
  /**
   * Rules across parameters that ranges cannot say; throws a one-line
   * InvalidArgumentError. Runs after every parameter passed its range check.
   */
  checkParams?(params: CodecParams): void;
  /** The codec's operations with `params` (checked, complete) bound. */
  create(params: CodecParams, options: CodecOptions): CodecOps;
  /** The non-zero element count when the encoded size determines it (zvc), else absent. */
  nonZeroFromSize?(encodedBytes: number, elements: number, elementBytes: ElementBytes): number;
  /** The payload's structure, field by field, for annotated dumps; absent: one opaque field. */
  describePayload?(payload: Uint8Array, context: PayloadContext): PayloadField[];
}
