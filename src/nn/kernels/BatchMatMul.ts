/**
 * BatchMatMul for wasm with the transpose flags applied as explicit
 * transposes: tfjs-backend-wasm 4.22 multiplies 10-30x slower when a flag is
 * set than on plain row-major operands. `base` resolves BatchMatMul to the
 * kernel this one replaces, which does the multiplication.
 */
import { BatchMatMul } from '@tensorflow/tfjs-core';
import type {
  BatchMatMulAttrs,
  BatchMatMulInputs,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type BaseKernels, WasmOps } from './wasm-ops.js';

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

export function batchMatMulConfig(base: BaseKernels, original: KernelConfig): KernelConfig {
  const kernelFunc = (args: {
    inputs: BatchMatMulInputs;
    backend: BackendWasm;
    attrs: BatchMatMulAttrs;
  }): TensorInfo => {
    const { transposeA, transposeB } = args.attrs;
    const a = args.inputs.a as TensorInfo;
    const b = args.inputs.b as TensorInfo;
    const ops = new WasmOps(args.backend, base);
    if (!transposeA && !transposeB)
      return ops.run(BatchMatMul, { a, b }, { transposeA: false, transposeB: false });
    const at = transposeA
      ? ops.run('Transpose', { x: a }, { perm: swapLastTwo(a.shape.length) })
      : a;
    const bt = transposeB
      ? ops.run('Transpose', { x: b }, { perm: swapLastTwo(b.shape.length) })
      : b;
    const out = ops.run(BatchMatMul, { a: at, b: bt }, { transposeA: false, transposeB: false });
    if (at !== a) ops.free(at);
    if (bt !== b) ops.free(bt);
    return out;
  };
  return {
    kernelName: BatchMatMul,
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    kernelFunc: kernelFunc as unknown as KernelFunc,
  };
}
