/** Element-wise sum of same-shaped inputs (residual connections). Saves nothing; every dX_i = dY. */
import * as tf from '@tensorflow/tfjs-core';
import { share } from '../share.js';
import type { AddSpec } from '../spec.js';
import type { BackwardArgs, BackwardResult, Layer, LayerSetup } from './layer.js';
import { denseOutput, type LayerCosts, type LayerDescriptor, type Shape } from './kind.js';
import { fail, product } from './rules.js';

function createAdd(spec: AddSpec, setup: LayerSetup): Layer {
  return {
    spec,
    params: [],
    buffers: [],
    outputShape: setup.outputShape,
    forward: (inputs) => ({
      output: inputs.length === 1 ? share(inputs[0]) : tf.addN([...inputs]),
    }),
    backward(a: BackwardArgs): BackwardResult {
      const dy = a.dy as tf.Tensor;
      return {
        inputGrads: a.needInputGrad.map((need) => (need ? share(dy) : null)),
        paramGrads: [],
      };
    },
  };
}

/** Inputs have identical shapes; one addition per element per extra input. */
function analyze(l: AddSpec, xs: readonly Shape[]): LayerCosts {
  const first = xs[0];
  for (const s of xs) {
    if (s.length !== first.length || s.some((d, i) => d !== first[i])) {
      fail(
        l.name,
        `inputs must have identical shapes, got ${xs.map((t) => `[${t.join(',')}]`).join(' ')}`,
      );
    }
  }
  return {
    outputShape: first,
    params: 0,
    forwardFlops: (xs.length - 1) * product(first),
    paramGradFlops: 0,
    inputGradFlops: 0,
  };
}

export const addKind: LayerDescriptor<AddSpec> = {
  kind: 'add',
  arity: [2, Infinity],
  saves: [],
  hasParams: false,
  view: false,
  analyze,
  density: denseOutput,
  create: createAdd,
};
