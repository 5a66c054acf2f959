/**
 * The `zvc` codec: zero-value compression (format: zvc-format.ts). Runs the
 * WebAssembly SIMD kernels where the runtime supports SIMD and
 * build/wasm/zvc.wasm was built, the TypeScript implementation otherwise;
 * both produce identical bytes. Set CDMA_ZVC_IMPL=ts (or pass impl 'ts') to
 * force the TypeScript path, 'wasm' to require the kernels.
 */
import { InvalidArgumentError } from '../errors.js';
import { checkElements, type ElementBytes } from './bytes.js';
import type { Codec } from './codec.js';
import { countNonZeroTs } from './nonzero.js';
import { zvcMaxSize, zvcSize } from './zvc-format.js';
import { zvcDecodeTs, zvcEncodeTs } from './zvc-ts.js';
import { zvcKernelFor, type ZvcImplChoice } from './zvc-impl.js';

export type { ZvcImplChoice } from './zvc-impl.js';

export interface ZvcCodec extends Codec {
  readonly id: 'zvc';
  /** The implementation this codec runs. */
  readonly impl: 'wasm' | 'ts';
}

/** A zvc codec running the chosen implementation. */
export function createZvcCodec(choice?: ZvcImplChoice): ZvcCodec {
  const kernel = zvcKernelFor(choice);

  const exactSize = (src: Uint8Array, eb: ElementBytes): number =>
    zvcSize(src.length / eb, kernel ? kernel.countNonZero(src, eb) : countNonZeroTs(src, eb), eb);

  return {
    id: 'zvc',
    params: {},
    impl: kernel ? 'wasm' : 'ts',
    maxEncodedSize(byteLength, eb) {
      checkElements(byteLength, eb);
      return zvcMaxSize(byteLength / eb, eb);
    },
    encodedSize(src, eb) {
      checkElements(src.length, eb);
      return exactSize(src, eb);
    },
    encode(src, eb, out) {
      checkElements(src.length, eb);
      if (kernel) {
        return kernel.encodeInto(src, eb, out ?? new Uint8Array(exactSize(src, eb)));
      }
      const max = zvcMaxSize(src.length / eb, eb);
      if (out !== undefined && out.length >= max) return out.subarray(0, zvcEncodeTs(src, eb, out));
      // The TypeScript encoder may write one word past the data; give it room.
      const size = exactSize(src, eb);
      if (out !== undefined && out.length < size)
        throw new InvalidArgumentError(
          `output of ${out.length} bytes is too small for ${size} bytes of zvc`,
        );
      const tmp = new Uint8Array(Math.min(max, size + 4));
      const len = zvcEncodeTs(src, eb, tmp);
      if (out === undefined) return tmp.subarray(0, len);
      out.set(tmp.subarray(0, len));
      return out.subarray(0, len);
    },
    decode(src, eb, byteLength, out) {
      checkElements(byteLength, eb);
      if (out !== undefined && out.length < byteLength)
        throw new InvalidArgumentError(
          `output of ${out.length} bytes cannot hold ${byteLength} bytes`,
        );
      const target = out === undefined ? new Uint8Array(byteLength) : out.subarray(0, byteLength);
      if (kernel) kernel.decodeInto(src, eb, target);
      else zvcDecodeTs(src, eb, target);
      return target;
    },
  };
}
