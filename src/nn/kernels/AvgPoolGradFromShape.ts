/**
 * Average-pooling backward from dy and the input's shape alone. tfjs's
 * AvgPoolGrad takes the input tensor but reads only its shape; the avgpool
 * layer saves nothing for backward (SAVED_FOR_BACKWARD), so this kernel hands
 * the backend's own AvgPoolGrad a shape-only stand-in. Registered for wasm,
 * cpu and webgpu (whose AvgPoolGrad reads the input's shape only, too). Like tfjs's kernel it spreads each gradient with weight
 * 1/(kh*kw), padded positions included.
 */
import { AvgPoolGrad, getKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

export const AVG_POOL_GRAD_FROM_SHAPE = 'CdmaAvgPoolGradFromShape';

export interface AvgPoolGradFromShapeAttrs {
  inputShape: number[];
  filterSize: [number, number];
  strides: [number, number];
  pad: [[number, number], [number, number], [number, number], [number, number]];
}

export function avgPoolGradFromShapeConfig(backendName: 'wasm' | 'cpu' | 'webgpu'): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const dy = inputs.dy as TensorInfo;
    const a = attrs as unknown as AvgPoolGradFromShapeAttrs;
    const base = getKernel(AvgPoolGrad, backendName);
    if (!base) throw new Error(`${backendName} backend has no ${AvgPoolGrad} kernel`);
    const input: TensorInfo = { dataId: dy.dataId, shape: a.inputShape, dtype: dy.dtype };
    const baseAttrs = {
      filterSize: a.filterSize,
      strides: a.strides,
      pad: a.pad,
    } as unknown as NamedAttrMap;
    return base.kernelFunc({ inputs: { dy, input }, backend, attrs: baseAttrs });
  };
  return { kernelName: AVG_POOL_GRAD_FROM_SHAPE, backendName, kernelFunc };
}
