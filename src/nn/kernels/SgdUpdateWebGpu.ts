/**
 * CdmaSgdUpdate (./SgdUpdate.ts) for tfjs-backend-webgpu: the same update as
 * two element-wise WGSL programs at most (the new momentum, then the new
 * weights), in float32 on the GPU. The webgpu backend's module is passed in
 * (it is loaded only when that backend is chosen).
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { SGD_UPDATE, type SgdUpdateAttrs } from './SgdUpdate.js';

/** The parts of tfjs-backend-webgpu's backend this kernel uses. */
interface WebGpuBackendLike {
  runWebGPUProgram(
    program: object,
    inputs: TensorInfo[],
    outputDtype: 'float32',
    uniforms?: { type: string; data: number[] }[],
  ): TensorInfo;
}

type Mode = 'd' | 'v' | 'w' | 'step';

const BODY: Record<Mode, string> = {
  // d = g + wd * w (the first momentum step: v' = d)
  d: 'let r = getGByOutputIndex(index) + uniforms.wd * getWByOutputIndex(index);',
  // v' = momentum * v + g + wd * w
  v: 'let r = uniforms.momentum * getVByOutputIndex(index) + getGByOutputIndex(index) + uniforms.wd * getWByOutputIndex(index);',
  // w' = w - lr * (g + wd * w), without momentum
  w: 'let w = getWByOutputIndex(index); let r = w - uniforms.lr * (getGByOutputIndex(index) + uniforms.wd * w);',
  // w' = w - lr * v'
  step: 'let r = getWByOutputIndex(index) - uniforms.lr * getDByOutputIndex(index);',
};

const NAMES: Record<Mode, string[]> = {
  d: ['W', 'G'],
  v: ['W', 'G', 'V'],
  w: ['W', 'G'],
  step: ['W', 'D'],
};

/** webgpu_util.computeDispatch of tfjs-backend-webgpu (a 2-D grid past 65535 workgroups). */
export type ComputeDispatch = (
  layout: { x: number[] },
  outputShape: number[],
  workgroupSize: [number, number, number],
) => [number, number, number];

export function sgdUpdateWebGpuConfig(computeDispatch: ComputeDispatch): KernelConfig {
  const make = (mode: Mode, shape: number[]): object => {
    const workgroupSize: [number, number, number] = [64, 1, 1];
    const dispatchLayout = { x: shape.map((_, i) => i) };
    return {
      outputShape: shape,
      shaderKey: `cdma_sgd_${mode}`,
      dispatchLayout,
      dispatch: computeDispatch(dispatchLayout, shape, workgroupSize),
      variableNames: NAMES[mode],
      workgroupSize,
      size: true,
      uniforms: 'lr : f32, momentum : f32, wd : f32,',
      getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${BODY[mode]}
          setOutputAtIndex(index, r);
        }
      }`,
    };
  };
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as SgdUpdateAttrs;
    const b = backend as unknown as WebGpuBackendLike;
    const w = inputs.w as TensorInfo;
    const g = inputs.g as TensorInfo;
    const v = inputs.v as TensorInfo | undefined;
    const uniforms = [
      { type: 'float32', data: [a.lr] },
      { type: 'float32', data: [a.momentum] },
      { type: 'float32', data: [a.weightDecay] },
    ];
    if (!(a.momentum > 0))
      return [b.runWebGPUProgram(make('w', w.shape), [w, g], 'float32', uniforms)];
    const vOut = v
      ? b.runWebGPUProgram(make('v', w.shape), [w, g, v], 'float32', uniforms)
      : b.runWebGPUProgram(make('d', w.shape), [w, g], 'float32', uniforms);
    const wOut = b.runWebGPUProgram(make('step', w.shape), [w, vOut], 'float32', uniforms);
    return [wOut, vOut];
  };
  return { kernelName: SGD_UPDATE, backendName: 'webgpu', kernelFunc };
}
