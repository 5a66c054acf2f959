/** Slice for wasm without reading the whole input out of the heap first. */
import { Slice, slice_util } from '@tensorflow/tfjs-core';
import type {
  KernelConfig,
  KernelFunc,
  SliceAttrs,
  SliceInputs,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { sliceWasm } from './slice-impl.js';

export function sliceConfig(): KernelConfig {
  const kernelFunc = (args: { inputs: SliceInputs; backend: BackendWasm; attrs: SliceAttrs }) => {
    const x = args.inputs.x as TensorInfo;
    const [begin, size] = slice_util.parseSliceParams(x, args.attrs.begin, args.attrs.size);
    return sliceWasm(args.backend, x, begin, size);
  };
  return {
    kernelName: Slice,
    backendName: 'wasm',
    kernelFunc: kernelFunc as unknown as KernelFunc,
  };
}
