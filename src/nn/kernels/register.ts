/**
 * Registers cdma's kernels: for wasm, the fast ones (DESIGN.md section 4);
 * for wasm and cpu, the helper kernels the layers call by name. Idempotent:
 * the registry itself records that it was done (each config carries a
 * marker), so no module state is needed.
 */
import {
  BatchMatMul,
  Conv2DBackpropInput,
  getKernel,
  registerKernel,
  Slice,
  unregisterKernel,
} from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { AVG_POOL_GRAD_FROM_SHAPE, avgPoolGradFromShapeConfig } from './AvgPoolGradFromShape.js';
import { batchMatMulConfig } from './BatchMatMul.js';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter.js';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput.js';
import { maxPoolGradConfig } from './MaxPoolGrad.js';
import { SGD_UPDATE, sgdUpdateConfig } from './SgdUpdate.js';
import { sliceConfig } from './Slice.js';
import { sgdUpdateWebGpuConfig, type ComputeDispatch } from './SgdUpdateWebGpu.js';
import type { BaseKernels } from './wasm-ops.js';

const MARK = 'cdma';
type Marked = KernelConfig & { origin?: string };

/** Kernels that cdma adds to or replaces in the wasm backend, by name. */
export const FAST_KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'BatchMatMul',
  'Slice',
  'MaxPoolGrad',
] as const;

export function fastKernelsRegistered(): boolean {
  return (getKernel(FAST_KERNELS[0], 'wasm') as Marked | undefined)?.origin === MARK;
}

export function registerFastKernels(): void {
  if (fastKernelsRegistered()) return;
  const originals = new Map<string, KernelConfig>();
  for (const name of [BatchMatMul, Conv2DBackpropInput, Slice]) {
    const k = getKernel(name, 'wasm');
    if (k) originals.set(name, k);
  }
  const base: BaseKernels = (name) => {
    const k = originals.get(name) ?? getKernel(name, 'wasm');
    if (!k) throw new Error(`wasm kernel ${name} is not registered`);
    return k.kernelFunc;
  };
  const bmm = originals.get(BatchMatMul);
  if (!bmm) throw new Error('wasm kernel BatchMatMul is not registered');
  const configs = [
    conv2DBackpropFilterConfig(base),
    conv2DBackpropInputConfig(base),
    batchMatMulConfig(base, bmm),
    sliceConfig(),
    maxPoolGradConfig(),
  ];
  // The marked one goes last, so a failure part-way leaves a retry possible.
  configs.reverse();
  for (const c of configs) {
    if (getKernel(c.kernelName, 'wasm')) unregisterKernel(c.kernelName, 'wasm');
    registerKernel({ ...c, origin: MARK } as Marked);
  }
}

/** Kernels the layers and the optimiser call by name on the wasm and cpu backends. */
export function registerLayerKernels(backendName: 'wasm' | 'cpu'): void {
  if (!getKernel(AVG_POOL_GRAD_FROM_SHAPE, backendName)) {
    registerKernel(avgPoolGradFromShapeConfig(backendName));
  }
  if (!getKernel(SGD_UPDATE, backendName)) registerKernel(sgdUpdateConfig(backendName));
}

/**
 * The same kernels on tfjs-backend-webgpu (its own Conv2DBackpropFilter,
 * MaxPoolGrad, LRNGrad, ... cover the rest); `computeDispatch` is its
 * webgpu_util's, passed in because that backend loads only when chosen.
 */
export function registerWebGpuLayerKernels(computeDispatch: ComputeDispatch): void {
  if (!getKernel(AVG_POOL_GRAD_FROM_SHAPE, 'webgpu')) {
    registerKernel(avgPoolGradFromShapeConfig('webgpu'));
  }
  if (!getKernel(SGD_UPDATE, 'webgpu')) registerKernel(sgdUpdateWebGpuConfig(computeDispatch));
}
