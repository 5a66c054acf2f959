/**
 * One SGD step for one parameter as a single kernel (wasm and cpu), instead
 * of the six element-wise ops it takes in tfjs ops: per step that saves a
 * few hundred kernel dispatches on a model with a few dozen parameters.
 * PyTorch's formulation, computed in float64 and stored as float32:
 *   d = g + weightDecay * w
 *   v' = first ? d : momentum * v + d     (only when momentum > 0)
 *   w' = w - lr * (momentum > 0 ? v' : d)
 * Inputs {w, g} or {w, g, v}; outputs [w'] or [w', v'].
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { f32 } from './heap.js';

export const SGD_UPDATE = 'CdmaSgdUpdate';

export interface SgdUpdateAttrs {
  lr: number;
  momentum: number;
  weightDecay: number;
  /** First step with momentum: v' = d (there is no v input). */
  first: boolean;
}

/** The update on plain arrays; v/vOut are null without momentum. */
export function sgdUpdate(
  w: Float32Array,
  g: Float32Array,
  v: Float32Array | null,
  wOut: Float32Array,
  vOut: Float32Array | null,
  a: SgdUpdateAttrs,
): void {
  const { lr, momentum, weightDecay } = a;
  const n = w.length;
  // One branch-free loop per case.
  if (!vOut) {
    for (let i = 0; i < n; i++) wOut[i] = w[i] - lr * (g[i] + weightDecay * w[i]);
  } else if (!v) {
    for (let i = 0; i < n; i++) {
      const d = g[i] + weightDecay * w[i];
      vOut[i] = d;
      wOut[i] = w[i] - lr * d;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const nv = momentum * v[i] + g[i] + weightDecay * w[i];
      vOut[i] = nv;
      wOut[i] = w[i] - lr * nv;
    }
  }
}

/** The parts of tfjs's cpu backend this kernel uses. */
interface CpuBackend {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

function attrsOf(attrs: NamedAttrMap | undefined): SgdUpdateAttrs {
  return attrs as unknown as SgdUpdateAttrs;
}

export function sgdUpdateConfig(backendName: 'wasm' | 'cpu'): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const a = attrsOf(attrs);
    const w = inputs.w as TensorInfo;
    const g = inputs.g as TensorInfo;
    const v = (inputs.v as TensorInfo | undefined) ?? null;
    const withMomentum = a.momentum > 0;
    if (backendName === 'wasm') {
      const b = backend as BackendWasm;
      const wOut = b.makeOutput(w.shape, 'float32');
      const vOut = withMomentum ? b.makeOutput(w.shape, 'float32') : null;
      sgdUpdate(
        f32(b, w),
        f32(b, g),
        v ? f32(b, v) : null,
        f32(b, wOut),
        vOut ? f32(b, vOut) : null,
        a,
      );
      return vOut ? [wOut, vOut] : [wOut];
    }
    const b = backend as unknown as CpuBackend;
    const read = (t: TensorInfo) => b.data.get(t.dataId).values as Float32Array;
    const wNew = new Float32Array(w.shape.reduce((x, y) => x * y, 1));
    const vNew = withMomentum ? new Float32Array(wNew.length) : null;
    sgdUpdate(read(w), read(g), v ? read(v) : null, wNew, vNew, a);
    const outs = [b.makeTensorInfo(w.shape, 'float32', wNew)];
    if (vNew) outs.push(b.makeTensorInfo(w.shape, 'float32', vNew));
    return outs;
  };
  return { kernelName: SGD_UPDATE, backendName, kernelFunc };
}
