/**
 * The `zvc` codec: zero-value compression (format: zvc-format.ts). Runs the
 * WebAssembly SIMD kernels where the runtime supports SIMD and
 * build/wasm/zvc.wasm was built, the TypeScript implementation otherwise;
 * both produce identical bytes. Set CDMA_ZVC_IMPL=ts (or pass impl 'ts') to
 * force the TypeScript path, 'wasm' to require the kernels.
 */
import { InvalidArgumentError } from '../errors.js';
import { checkElements, type ElementBytes } from './bytes.js';
import type { Codec, CodecDescriptor, PayloadField } from './codec.js';
import { describeElement, hex32 } from './describe.js';
import { countNonZeroTs } from './nonzero.js';
import { ZVC_BLOCK, zvcMaxSize, zvcSize } from './zvc-format.js';
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
    // An all-zero block: 32 elements from its 4-byte mask.
    maxExpansion: (eb) => (ZVC_BLOCK * eb) / 4,
  };
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v !== 0; v &= v - 1) n++;
  return n;
}

function nthSetBit(mask: number, k: number): number {
  for (let bit = 0, seen = 0; bit < 32; bit++) if ((mask >>> bit) & 1 && seen++ === k) return bit;
  return -1;
}

export const zvcCodec: CodecDescriptor = {
  id: 'zvc',
  containerId: 1,
  description: 'zero-value compression: 32-element blocks, a bit mask and the non-zeros',
  params: [],
  elementBytes: [2, 4],
  cheapExactSize: true,
  orderFreeSize: true,
  create: (_params, options) => createZvcCodec(options.zvcImpl),
  nonZeroFromSize: (encodedBytes, elements, eb) => (encodedBytes - zvcSize(elements, 0, eb)) / eb,
  // Per block, the mask then each non-zero element (numbered in stored order).
  describePayload(payload, ctx) {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
    const eb = ctx.elementBytes;
    const end = payload.length;
    const fields: PayloadField[] = [];
    let p = 0;
    for (let block = 0; block * ZVC_BLOCK < ctx.elements && p + 4 <= end; block++) {
      const mask = view.getUint32(p, true);
      const nnz = popcount(mask);
      const of = Math.min(ZVC_BLOCK, ctx.elements - block * ZVC_BLOCK);
      fields.push({
        offset: p,
        length: 4,
        note: `block ${block} mask ${hex32(mask)}: ${nnz} non-zero of ${of}`,
      });
      p += 4;
      for (let k = 0; k < nnz && p + eb <= end; k++) {
        const element = ctx.firstElement + block * ZVC_BLOCK + nthSetBit(mask, k);
        const value = describeElement(view, p, eb, ctx.dtype);
        fields.push({ offset: p, length: eb, note: `  element ${element}: ${value}` });
        p += eb;
      }
    }
    if (p < end) fields.push({ offset: p, length: end - p, note: '(bytes past the last block)' });
    return fields;
  },
};
