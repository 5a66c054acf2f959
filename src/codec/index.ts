/**
 * The codec part of cdma on its own: the `cdma/codecs` subpath export. It
 * loads no TensorFlow.js module (test/codec/subpath.test.ts checks it) and
 * takes tf.Tensors duck-typed (tensor-input.ts). docs/CODECS.md documents
 * every name exported here.
 */
export { CdmaError, CorruptDataError, InvalidArgumentError } from '../errors.js';
export * from './api.js';
export {
  BUILTIN_CODEC_IDS,
  CODEC_DESCRIPTIONS,
  CODEC_IDS,
  CODEC_PARAMS,
  codecDescriptor,
  getCodec,
  listCodecs,
  parseParams,
  registerCodec,
  RESERVED_PARAM_NAMES,
  type CodecInfo,
} from './registry.js';
export { compressedSize, compressionRatio, type SizeOptions } from './size.js';
export { countNonZero, density } from './nonzero.js';
export { LAYOUTS, permuteShape, transpose, type Layout } from './layout.js';
export { zvcMaxSize, zvcSize } from './zvc-format.js';
export {
  codecFromConfig,
  TensorCodec,
  type EncodeOptions,
  type TensorCodecConfig,
} from './tensor-codec.js';
export { isTensorLike, type TensorLike } from './tensor-input.js';
export {
  registerZarrCodecs,
  zarrCodec,
  zarrCodecMetadata,
  zarrCodecName,
  zvcZarrCodec,
  ZVC_ZARR_CODEC,
  type ZarrBytesCodec,
  type ZarrChunkMeta,
  type ZarrCodecConfiguration,
  type ZarrCodecEntry,
} from './zarr.js';
