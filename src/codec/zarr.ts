/**
 * cdma codecs as zarr v3 `bytes_to_bytes` codecs for zarrita.js. An entry has
 * the shape zarrita's codec registry takes (`kind` and
 * `fromConfig(configuration, chunkMeta)`); nothing here imports zarrita.
 *
 * Each chunk is stored as a cdma container (docs/FORMAT.md) of the chunk's
 * bytes read as `element_size`-byte words, so a chunk file is checksummed
 * and `cdma inspect` reads it. Register it, then name it in an array's codecs:
 *
 *   zarr.registry.set(ZVC_ZARR_CODEC, async () => zvcZarrCodec);
 *   await zarr.create(store, { ..., codecs: [{ name: 'bytes', configuration: { endian: 'little' } },
 *                                            zarrCodecMetadata('zvc', { element_size: 4 })] });
 */
import { InvalidArgumentError } from '../errors.js';
import { compress, decompress, openContainer } from './api.js';
import type { CodecId, DType } from './codec.js';
import { codecDescriptor, resolveParams } from './registry.js';

/** The zarr v3 name of a cdma codec: 'cdma.' + its id. */
export function zarrCodecName(id: CodecId): string {
  return `cdma.${id}`;
}

/** The zarr v3 name of the ZVC codec, 'cdma.zvc'. */
export const ZVC_ZARR_CODEC = 'cdma.zvc';

/** The configuration of a cdma zarr codec: the word width and the codec's parameters. */
export interface ZarrCodecConfiguration {
  /** Bytes per word the codec sees: 4 (float32-wide) or 2 (16-bit); default 4. */
  readonly element_size?: 2 | 4;
  readonly [param: string]: unknown;
}

/** The part of zarrita's chunk metadata the adapter reads. */
export interface ZarrChunkMeta {
  readonly dataType?: string;
  readonly shape?: readonly number[];
}

/** A zarr bytes-to-bytes codec (the numcodecs Codec shape plus zarrita's `kind`). */
export interface ZarrBytesCodec {
  readonly kind: 'bytes_to_bytes';
  encode(data: Uint8Array): Uint8Array;
  decode(data: Uint8Array): Uint8Array;
}

/** What zarrita's registry holds for a codec: `registry.set(name, async () => entry)`. */
export interface ZarrCodecEntry {
  readonly kind: 'bytes_to_bytes';
  fromConfig(configuration: unknown, meta?: ZarrChunkMeta): ZarrBytesCodec;
}

/** Bytes per element of zarr v3 data types (the ones with a fixed width). */
const ZARR_DTYPE_BYTES: Readonly<Record<string, number>> = {
  bool: 1,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  float16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  int64: 8,
  uint64: 8,
  float64: 8,
  complex64: 8,
  complex128: 16,
};

/** The dtype a container records for `element_size`-byte words (the bits are kept as they are). */
function wordDtype(elementSize: 2 | 4): DType {
  return elementSize === 4 ? 'float32' : 'float16';
}

function checkConfiguration(
  id: CodecId,
  configuration: unknown,
): { elementSize: 2 | 4; params: Record<string, number> } {
  const name = zarrCodecName(id);
  const config = configuration ?? {};
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new InvalidArgumentError(
      `${name}: configuration must be an object like { element_size: 4 }`,
    );
  const { element_size: size = 4, ...rest } = config as ZarrCodecConfiguration;
  if (size !== 4 && size !== 2)
    throw new InvalidArgumentError(`${name}: element_size must be 4 or 2, not ${String(size)}`);
  const known = codecDescriptor(id).params.map((s) => s.name);
  for (const key of Object.keys(rest))
    if (!known.includes(key))
      throw new InvalidArgumentError(
        `${name}: unknown configuration key '${key}'; valid keys: ${['element_size', ...known].join(', ')}`,
      );
  return { elementSize: size, params: resolveParams(id, rest as Record<string, number>) };
}

/**
 * The zarrita codec entry for cdma codec `id` (registered in cdma's codec
 * registry). Its configuration is `{ element_size, ...the codec's parameters }`;
 * an unknown key, or a chunk whose bytes are not whole words (from the chunk
 * metadata zarrita passes), is an InvalidArgumentError.
 */
export function zarrCodec(id: CodecId): ZarrCodecEntry {
  codecDescriptor(id);
  const name = zarrCodecName(id);
  return {
    kind: 'bytes_to_bytes',
    fromConfig(configuration, meta) {
      const { elementSize, params } = checkConfiguration(id, configuration);
      const width = meta?.dataType === undefined ? undefined : ZARR_DTYPE_BYTES[meta.dataType];
      if (width !== undefined && meta?.shape !== undefined) {
        const bytes = width * meta.shape.reduce((a, d) => a * d, 1);
        if (bytes % elementSize !== 0)
          throw new InvalidArgumentError(
            `${name}: a chunk of ${meta.dataType} shape [${meta.shape.join(', ')}] is ${bytes} bytes, not a whole number of ${elementSize}-byte words; use element_size 2 or another chunk shape`,
          );
      }
      const dtype = wordDtype(elementSize);
      return {
        kind: 'bytes_to_bytes',
        encode(data) {
          if (!(data instanceof Uint8Array))
            throw new InvalidArgumentError(`${name} encodes a Uint8Array of chunk bytes`);
          if (data.byteLength % elementSize !== 0)
            throw new InvalidArgumentError(
              `${name}: a chunk of ${data.byteLength} bytes is not a whole number of ${elementSize}-byte words`,
            );
          return compress(data, { codec: id, params, dtype });
        },
        decode(data) {
          const held = openContainer(data).summary;
          if (held.codec !== id || held.dtype !== dtype)
            throw new InvalidArgumentError(
              `${name}: the chunk holds a ${held.codec} container of ${held.dtype}, not ${id} of ${dtype} (element_size ${elementSize})`,
            );
          const values = decompress(data).data;
          return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
        },
      };
    },
  };
}

/** The zarrita codec entry of ZVC: zarrCodec('zvc'), zarr name 'cdma.zvc'. */
export const zvcZarrCodec: ZarrCodecEntry = zarrCodec('zvc');

/** The codec metadata an array's `codecs` list takes: { name: 'cdma.<id>', configuration }. */
export function zarrCodecMetadata(
  id: CodecId = 'zvc',
  configuration: ZarrCodecConfiguration = { element_size: 4 },
): { name: string; configuration: ZarrCodecConfiguration } {
  const { elementSize, params } = checkConfiguration(id, configuration);
  return { name: zarrCodecName(id), configuration: { element_size: elementSize, ...params } };
}

/**
 * Registers cdma codecs (default: ZVC) in a zarrita-style registry
 * (`zarr.registry`, a Map from codec name to a loader) under 'cdma.<id>'.
 */
export function registerZarrCodecs(
  registry: { set(name: string, loader: () => Promise<ZarrCodecEntry>): unknown },
  ids: readonly CodecId[] = ['zvc'],
): void {
  for (const id of ids) {
    const entry = id === 'zvc' ? zvcZarrCodec : zarrCodec(id);
    registry.set(zarrCodecName(id), async () => entry);
  }
}
