/**
 * Max-pooling backward for wasm in plain typed-array code on the heap:
 * each window's gradient goes to the first input position (row-major window
 * order) equal to the window's saved maximum, as tfjs's cpu kernel does.
 * tfjs-backend-wasm 4.22's MaxPoolGrad runs ~50x slower than its forward.
 */
import { backend_util, MaxPoolGrad } from '@tensorflow/tfjs-core';
import type {
  KernelConfig,
  KernelFunc,
  MaxPoolGradAttrs,
  MaxPoolGradInputs,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { f32 } from './heap.js';

type Shape4 = [number, number, number, number];

export function maxPoolGradConfig(): KernelConfig {
  const kernelFunc = (args: {
    inputs: MaxPoolGradInputs;
    backend: BackendWasm;
    attrs: MaxPoolGradAttrs;
  }): TensorInfo => {
    const { backend } = args;
    const dy = args.inputs.dy as TensorInfo;
    const x = args.inputs.input as TensorInfo;
    const y = args.inputs.output as TensorInfo;
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs;
    const info = backend_util.computePool2DInfo(
      x.shape as Shape4,
      filterSize,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const dx = backend.makeOutput(x.shape, 'float32');
    const DX = f32(backend, dx);
    DX.fill(0);
    route(f32(backend, x), f32(backend, y), f32(backend, dy), DX, info);
    return dx;
  };
  return {
    kernelName: MaxPoolGrad,
    backendName: 'wasm',
    kernelFunc: kernelFunc as unknown as KernelFunc,
  };
}

function route(
  X: Float32Array,
  Y: Float32Array,
  DY: Float32Array,
  DX: Float32Array,
  info: backend_util.Conv2DInfo,
): void {
  const {
    batchSize: n,
    inHeight: h,
    inWidth: w,
    inChannels: c,
    outHeight: oh,
    outWidth: ow,
  } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;
  const found = new Uint8Array(c);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      const r0 = Math.max(0, i * sh - top);
      const r1 = Math.min(h, i * sh - top + kh);
      for (let j = 0; j < ow; j++) {
        const c0 = Math.max(0, j * sw - left);
        const c1 = Math.min(w, j * sw - left + kw);
        const yo = ((b * oh + i) * ow + j) * c;
        found.fill(0);
        for (let r = r0; r < r1; r++) {
          for (let q = c0; q < c1; q++) {
            const xo = ((b * h + r) * w + q) * c;
            for (let k = 0; k < c; k++) {
              if (found[k] === 0 && X[xo + k] === Y[yo + k]) {
                found[k] = 1;
                DX[xo + k] += DY[yo + k];
              }
            }
          }
        }
      }
    }
  }
}
