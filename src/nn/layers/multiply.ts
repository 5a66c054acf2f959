/**
 * Element-wise product of same-shaped inputs (Keras Multiply). Saves every
 * input (role 'input' covers all of a layer's inputs); dX_i = dY times the
 * product of the other inputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MultiplySpec } from '../spec.js';
import type { BackwardArgs, BackwardResult, Layer, LayerSetup } from './layer.js';
import type { LayerCosts, LayerDescriptor, Shape } from './kind.js';
import { fail, product } from './rules.js';

function createMultiply(spec: MultiplySpec, setup: LayerSetup): Layer {
  return {
    spec,
    params: [],
    buffers: [],
    outputShape: setup.outputShape,
    forward: (inputs) => ({
      output: tf.tidy(() => inputs.slice(1).reduce((p, x) => tf.mul(p, x), inputs[0])),
    }),
    backward(a: BackwardArgs): BackwardResult {
      const xs = a.saved.inputs ?? [];
      const dy = a.dy as tf.Tensor;
      const inputGrads = a.needInputGrad.map((need, i) =>
        need ? tf.tidy(() => xs.reduce((p, x, k) => (k === i ? p : tf.mul(p, x)), dy)) : null,
      );
      return { inputGrads, paramGrads: [] };
    },
  };
}

function analyze(l: MultiplySpec, xs: readonly Shape[]): LayerCosts {
  const first = xs[0];
  for (const s of xs) {
    if (s.length !== first.length || s.some((d, i) => d !== first[i])) {
      fail(
        l.name,
        `inputs must have identical shapes, got ${xs.map((t) => `[${t.join(',')}]`).join(' ')}`,
      );
    }
  }
  const n = product(first);
  return {
    outputShape: first,
    params: 0,
    forwardFlops: (xs.length - 1) * n,
    paramGradFlops: 0,
    inputGradFlops: xs.length * (xs.length - 1) * n,
  };
}

export const multiplyKind: LayerDescriptor<MultiplySpec> = {
  kind: 'multiply',
  arity: [2, Infinity],
  saves: ['input'],
  hasParams: false,
  view: false,
  analyze,
  // A zero in any input is a zero of the output: sparse when any input is.
  density: (_l, ins) => {
    const sparse = ins.filter((x) => x > 0);
    return sparse.length > 0 ? Math.min(...sparse) : 0;
  },
  create: createMultiply,
};
