/** The `none` codec: the bytes themselves (a baseline, and raw storage in the container). */
import { CorruptDataError, InvalidArgumentError } from '../errors.js';
import { checkElements } from './bytes.js';
import type { CodecDescriptor, CodecOps } from './codec.js';

function noneOps(): CodecOps {
  return {
    maxEncodedSize(byteLength, eb) {
      checkElements(byteLength, eb);
      return byteLength;
    },
    encodedSize(src, eb) {
      checkElements(src.length, eb);
      return src.length;
    },
    encode(src, eb, out) {
      checkElements(src.length, eb);
      if (out === undefined) return src.slice();
      if (out.length < src.length)
        throw new InvalidArgumentError(
          `output of ${out.length} bytes cannot hold ${src.length} bytes`,
        );
      out.set(src);
      return out.subarray(0, src.length);
    },
    decode(src, eb, byteLength, out) {
      checkElements(byteLength, eb);
      if (src.length !== byteLength)
        throw new CorruptDataError(`raw payload holds ${src.length} bytes, expected ${byteLength}`);
      if (out !== undefined && out.length < byteLength)
        throw new InvalidArgumentError(
          `output of ${out.length} bytes cannot hold ${byteLength} bytes`,
        );
      const target = out === undefined ? new Uint8Array(byteLength) : out.subarray(0, byteLength);
      target.set(src);
      return target;
    },
    maxExpansion: () => 1,
  };
}

export const noneCodec: CodecDescriptor = {
  id: 'none',
  containerId: 0,
  description: 'no compression',
  params: [],
  elementBytes: [2, 4],
  rawPayload: true,
  cheapExactSize: true,
  orderFreeSize: true,
  create: noneOps,
};
