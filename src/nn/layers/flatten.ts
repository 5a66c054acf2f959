/** Flatten [N,H,W,C] -> [N, H*W*C] (NHWC order; the weights that follow are internal). Saves nothing. */
import * as tf from '@tensorflow/tfjs-core';
import type { FlattenSpec } from '../spec.js';
import type { BackwardArgs, BackwardResult, Layer, LayerSetup } from './layer.js';
import { inheritDensity, type LayerDescriptor } from './kind.js';
import { elementwise, product } from './rules.js';

function createFlatten(spec: FlattenSpec, setup: LayerSetup): Layer {
  const inShape = setup.inputShapes[0];
  return {
    spec,
    params: [],
    buffers: [],
    outputShape: setup.outputShape,
    forward: (inputs) => ({ output: tf.reshape(inputs[0], [inputs[0].shape[0], -1]) }),
    backward(a: BackwardArgs): BackwardResult {
      const dy = a.dy as tf.Tensor;
      return { inputGrads: [tf.reshape(dy, [dy.shape[0], ...inShape])], paramGrads: [] };
    },
  };
}

export const flattenKind: LayerDescriptor<FlattenSpec> = {
  kind: 'flatten',
  arity: [1, 1],
  saves: [],
  hasParams: false,
  view: true,
  analyze: (_l, xs) => ({ ...elementwise(xs[0], 0, 0), outputShape: [product(xs[0])] }),
  density: inheritDensity,
  create: createFlatten,
};
