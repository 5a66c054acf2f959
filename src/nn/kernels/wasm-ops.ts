/**
 * Building blocks for kernels composed of other wasm kernels. A composed
 * kernel runs inside the engine's kernel call, so it talks to the backend
 * directly: every TensorInfo returned here is owned by the caller and must be
 * freed with free() (or returned as the kernel's output).
 */
import type {
  KernelFunc,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { sliceWasm } from './slice-impl.js';

/** Looks up the kernel a composed kernel builds on (the original one where cdma overrides it). */
export type BaseKernels = (kernelName: string) => KernelFunc;

/** [top, bottom, left, right] */
export type Pads = readonly [number, number, number, number];

export class WasmOps {
  constructor(
    readonly backend: BackendWasm,
    private readonly base: BaseKernels,
  ) {}

  run(kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    const out = this.base(kernelName)({ inputs, backend: this.backend, attrs });
    if (Array.isArray(out)) throw new Error(`kernel ${kernelName} returned several outputs`);
    return out;
  }

  free(...ts: TensorInfo[]): void {
    for (const t of ts) this.backend.disposeData(t.dataId);
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /** Shares x's data (like tf.reshape); free it like any other result. */
  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  /** NHWC forward convolution with explicit padding. */
  conv2d(
    x: TensorInfo,
    filter: TensorInfo,
    strides: [number, number],
    dilations: [number, number],
    pads: Pads,
  ): TensorInfo {
    return this.run(
      'Conv2D',
      { x, filter },
      {
        strides,
        dilations,
        pad: [
          [0, 0],
          [pads[0], pads[1]],
          [pads[2], pads[3]],
          [0, 0],
        ],
        dataFormat: 'NHWC',
        dimRoundingMode: 'floor',
      },
    );
  }

  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    return sliceWasm(this.backend, x, begin, size);
  }

  zeros(shape: number[]): TensorInfo {
    const out = this.backend.makeOutput(shape, 'float32');
    this.backend.typedArrayFromHeap(out).fill(0);
    return out;
  }
}
