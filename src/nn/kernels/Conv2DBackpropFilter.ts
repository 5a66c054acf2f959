/**
 * dW for NHWC convolution, which tfjs-backend-wasm 4.22 lacks, as one forward
 * convolution: dW[kh,kw,ci,co] = sum_{n,oh,ow} x[n, oh*s+kh-p, ow*s+kw-p, ci] dy[n,oh,ow,co]
 * is a convolution of x^T ([ci,H,W,n]: batch ci, channels n) with the filter
 * dy^T ([oh,ow,n,co]) at dilation = the forward stride.
 */
import { backend_util, Conv2DBackpropFilter } from '@tensorflow/tfjs';
import type {
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropFilterInputs,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type BaseKernels, WasmOps } from './wasm-ops.js';

type Shape4 = [number, number, number, number];

export function conv2DBackpropFilterConfig(base: BaseKernels): KernelConfig {
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
    const xT = ops.transpose(x, [3, 1, 2, 0]);
    const dyT = ops.transpose(dy, [1, 2, 0, 3]);
    const g = ops.conv2d(
      xT,
      dyT,
      [1, 1],
      [sh, sw],
      [top, Math.max(0, bottom), left, Math.max(0, right)],
    );
    ops.free(xT, dyT);
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
