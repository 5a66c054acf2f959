/**
 * Codecs as numcodecs-shaped objects (the interface of Python's numcodecs,
 * numcodecs.js and zarrita.js): an `id`, `encode(data)`, `decode(data, out?)`,
 * `toConfig()` and `TensorCodec.fromConfig(config)`. One class serves every
 * codec in the registry (cdma's and those a program registers): `encode`
 * writes a cdma container (docs/FORMAT.md), so the bytes carry their dtype,
 * shape, codec parameters and checksums and `decode` needs nothing else.
 */
import { InvalidArgumentError } from '../errors.js';
import {
  compress,
  decompress,
  decompressInto,
  openContainer,
  type CompressInput,
  type CompressOptions,
  type TensorData,
} from './api.js';
import { bytesOf, type TypedArray } from './bytes.js';
import { DTYPE_BYTES, type CodecId, type CodecParams, type DType } from './codec.js';
import { checkOptionNames } from './container/options.js';
import { codecDescriptor, getCodec } from './registry.js';

/**
 * A codec's configuration, as toConfig gives it and fromConfig takes it: the
 * codec id, optionally the dtype raw bytes are read as, and the codec's
 * parameters by name (every one, defaults included, from toConfig).
 */
export interface TensorCodecConfig {
  readonly id: CodecId;
  readonly dtype?: DType;
  readonly [param: string]: unknown;
}

/** What encode takes besides the data: the container options other than codec and params. */
export type EncodeOptions = Omit<CompressOptions, 'codec' | 'params'>;

const ENCODE_OPTION_NAMES = ['dtype', 'shape', 'layout', 'codecLayout', 'chunkBytes'];

function isPlainData(x: unknown): x is Float32Array | Uint16Array | Uint8Array {
  return x instanceof Float32Array || x instanceof Uint16Array || x instanceof Uint8Array;
}

/** A registered codec with bound parameters, shaped like a numcodecs codec. */
export class TensorCodec {
  /** The codec's registry id (numcodecs' codec_id). */
  readonly id: CodecId;
  /** Every parameter, defaults filled in. */
  readonly params: CodecParams;
  /** The dtype raw bytes (a Uint8Array, or a Uint16Array) are read as; undefined: the caller says. */
  readonly dtype: DType | undefined;

  /**
   * Codec `id` with `params` (checked against its schema; defaults fill the
   * rest) and, optionally, the dtype that encode reads raw bytes as.
   */
  constructor(id: CodecId, params: CodecParams = {}, dtype?: DType) {
    const codec = getCodec(id, params);
    if (dtype !== undefined && !(dtype in DTYPE_BYTES))
      throw new InvalidArgumentError(
        `unknown dtype '${String(dtype)}'; use float32, float16 or bfloat16`,
      );
    this.id = codec.id;
    this.params = codec.params;
    this.dtype = dtype;
  }

  /**
   * The codec a configuration describes (numcodecs' from_config): `id`, an
   * optional `dtype`, and parameters by name. Any other key is an
   * InvalidArgumentError listing the valid ones.
   */
  static fromConfig(config: TensorCodecConfig): TensorCodec {
    if (config === null || typeof config !== 'object' || Array.isArray(config))
      throw new InvalidArgumentError(
        `a codec configuration is an object like { id: 'zvc' }, not ${String(config)}`,
      );
    const { id, dtype, ...rest } = config;
    if (typeof id !== 'string')
      throw new InvalidArgumentError(
        `a codec configuration needs an id (a string such as 'zvc'), not ${String(id)}`,
      );
    const d = codecDescriptor(id);
    const known = d.params.map((s) => s.name);
    for (const key of Object.keys(rest))
      if (!known.includes(key))
        throw new InvalidArgumentError(
          `unknown key '${key}' in the configuration of codec ${id}; valid keys: ${['id', 'dtype', ...known].join(', ')}`,
        );
    return new TensorCodec(id, rest as CodecParams, dtype);
  }

  /** The configuration fromConfig turns back into this codec (JSON-safe). */
  toConfig(): TensorCodecConfig {
    return {
      id: this.id,
      ...this.params,
      ...(this.dtype === undefined ? {} : { dtype: this.dtype }),
    };
  }

  /**
   * Compresses `data` into a cdma container: a Float32Array, a Uint16Array or
   * Uint8Array (read as this codec's dtype unless options.dtype says
   * otherwise), or a tensor object such as a tf.Tensor (its dtype and shape).
   */
  encode(data: CompressInput, options: EncodeOptions = {}): Uint8Array {
    checkOptionNames(options, ENCODE_OPTION_NAMES, 'encode');
    const dtype =
      options.dtype ??
      (isPlainData(data) && !(data instanceof Float32Array) ? this.dtype : undefined);
    return compress(data, {
      ...options,
      ...(dtype === undefined ? {} : { dtype }),
      codec: this.id,
      params: this.params,
    });
  }

  /**
   * Decodes a container this codec wrote (another codec's container is an
   * InvalidArgumentError). Without `out`, gives the tensor's raw bytes; with
   * `out` (a typed array of at least the tensor's bytes: a Float32Array only
   * for float32, a Uint16Array only for 16-bit dtypes, any other kind of
   * array as bytes), fills it and gives it back.
   */
  decode(data: Uint8Array): Uint8Array;
  decode<T extends TypedArray>(data: Uint8Array, out: T): T;
  decode(data: Uint8Array, out?: TypedArray): Uint8Array | TypedArray {
    const held = openContainer(data).summary.codec;
    if (held !== this.id)
      throw new InvalidArgumentError(`the container holds codec ${held}, not ${this.id}`);
    if (out !== undefined) {
      if (!ArrayBuffer.isView(out))
        throw new InvalidArgumentError(`decode's out must be a typed array, not ${String(out)}`);
      decompressInto(data, isPlainData(out) ? (out as TensorData) : bytesOf(out));
      return out;
    }
    const values = decompress(data).data;
    return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  }
}

/** The codec a configuration describes: TensorCodec.fromConfig (numcodecs' get_codec). */
export function codecFromConfig(config: TensorCodecConfig): TensorCodec {
  return TensorCodec.fromConfig(config);
}
