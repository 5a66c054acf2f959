/** Element-wise sum of same-shaped inputs (residual connections). Saves nothing; every dX_i = dY. */
import * as tf from '@tensorflow/tfjs';
import { share } from '../share.js';
import type { AddSpec } from '../spec.js';
import type { BackwardArgs, BackwardResult, Layer, LayerSetup } from './layer.js';

export function createAdd(spec: AddSpec, setup: LayerSetup): Layer {
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
