/**
 * dW for NHWC convolution, which tfjs-backend-wasm 4.22 lacks, as forward
 * convolutions: dW[kh,kw,ci,co] = sum_{n,oh,ow} x[n, oh*s+kh-p, ow*s+kw-p, ci] dy[n,oh,ow,co]
 * is a convolution of x^T ([ci,H,W,n]: batch ci, channels n) with the filter
 * dy^T ([oh,ow,n,co]) at dilation = the forward stride.
 *
 * That convolution has a tiny output (kh*kw*ci x co) and a huge reduction
 * (n*oh*ow), so XNNPACK streams its whole "filter" (all of dY) once per
 * block of outputs. When dY is larger than CHUNK_ABOVE_BYTES, the batch is
 * split into chunks of BATCH_CHUNK examples whose results are summed, which
 * keeps each chunk's dY in cache: ~1.3x faster on layers with several MiB
 * of dY (32x32x64 at batch 64). Smaller layers gain nothing from it and
 * would pay for the extra copies, so they run in one piece.
 */
import { backend_util, Conv2DBackpropFilter } from '@tensorflow/tfjs-core';
import type {
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropFilterInputs,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type BaseKernels, WasmOps } from './wasm-ops.js';

type Shape4 = [number, number, number, number];

/** Examples per partial convolution (see above). */
export const BATCH_CHUNK = 16;
/** dY size from which the batch is split. */
export const CHUNK_ABOVE_BYTES = 4 * 1024 * 1024;

export function conv2DBackpropFilterConfig(
  base: BaseKernels,
  chunk = BATCH_CHUNK,
  chunkAboveBytes = CHUNK_ABOVE_BYTES,
): KernelConfig {
  const kernelFunc = (args: {
    inputs: Conv2DBackpropFilterInputs;
    backend: BackendWasm;
    attrs: Conv2DBackpropFilterAttrs;
  }): TensorInfo => {
    const x = args.inputs.x as TensorInfo;
    const dy = args.inputs.dy as TensorInfo;
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs;
    if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter: only NHWC is supported');
    const info = backend_util.computeConv2DInfo(
      x.shape as Shape4,
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const ops = new WasmOps(args.backend, base);
    const [kh, kw] = [info.filterHeight, info.filterWidth];
    const [sh, sw] = [info.strideHeight, info.strideWidth];
    const { top, left } = info.padInfo;
    // Bottom/right padding that makes the output exactly kh x kw; negative when
    // the forward pass never reached the last rows/columns: compute more, slice.
    const bottom = kh + (info.outHeight - 1) * sh - info.inHeight - top;
    const right = kw + (info.outWidth - 1) * sw - info.inWidth - left;
    const pads = [top, Math.max(0, bottom), left, Math.max(0, right)] as const;
    const n = x.shape[0];
    const step = dy.shape.reduce((a, b) => a * b, 1) * 4 > chunkAboveBytes ? chunk : n;
    let g: TensorInfo | null = null;
    for (let from = 0; from < n; from += step) {
      const size = Math.min(step, n - from);
      const xj = size === n ? x : ops.slice(x, [from, 0, 0, 0], [size, ...x.shape.slice(1)]);
      const dyj = size === n ? dy : ops.slice(dy, [from, 0, 0, 0], [size, ...dy.shape.slice(1)]);
      const xT = ops.transpose(xj, [3, 1, 2, 0]);
      const dyT = ops.transpose(dyj, [1, 2, 0, 3]);
      if (xj !== x) ops.free(xj);
      if (dyj !== dy) ops.free(dyj);
      const part = ops.conv2d(xT, dyT, [1, 1], [sh, sw], pads);
      ops.free(xT, dyT);
      if (g) {
        const sum = ops.run('Add', { a: g, b: part });
        ops.free(g, part);
        g = sum;
      } else {
        g = part;
      }
    }
    if (!g) throw new Error('Conv2DBackpropFilter: empty batch');
    let gk = g;
    if (g.shape[1] !== kh || g.shape[2] !== kw) {
      gk = ops.slice(g, [0, 0, 0, 0], [g.shape[0], kh, kw, g.shape[3]]);
      ops.free(g);
    }
    const dw = ops.transpose(gk, [1, 2, 0, 3]);
    ops.free(gk);
    return dw;
  };
  return {
    kernelName: Conv2DBackpropFilter,
    backendName: 'wasm',
    kernelFunc: kernelFunc as unknown as KernelFunc,
  };
}
