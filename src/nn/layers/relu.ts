/** ReLU. Saves its output Y; backward: dX = dY where Y > 0, else 0. */
import * as tf from '@tensorflow/tfjs-core';
import type { ReluSpec } from '../spec.js';
import type { BackwardArgs, BackwardResult, Layer, LayerSetup } from './layer.js';
import { sparseSource, type LayerDescriptor } from './kind.js';
import { elementwise } from './rules.js';

function createRelu(spec: ReluSpec, setup: LayerSetup): Layer {
  return {
    spec,
    params: [],
    buffers: [],
    outputShape: setup.outputShape,
    forward: (inputs) => ({ output: tf.relu(inputs[0]) }),
    backward(a: BackwardArgs): BackwardResult {
      const y = a.saved.output as tf.Tensor;
      const dy = a.dy as tf.Tensor;
      return { inputGrads: [tf.tidy(() => tf.mul(dy, tf.step(y)))], paramGrads: [] };
    },
  };
}

export const reluKind: LayerDescriptor<ReluSpec> = {
  kind: 'relu',
  arity: [1, 1],
  saves: ['output'],
  hasParams: false,
  view: false,
  analyze: (_l, xs) => elementwise(xs[0], 1, 1),
  density: sparseSource,
  create: createRelu,
};
