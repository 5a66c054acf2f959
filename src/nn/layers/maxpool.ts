/**
 * Max pooling with explicit padding (padded positions never win). Saves its
 * input X and output Y; backward routes dY to the maximum of each window
 * (tfjs MaxPoolGrad).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PoolSpec } from '../spec.js';
import { explicitPad } from './conv-attrs.js';
import type { BackwardArgs, BackwardResult, Layer, LayerSetup } from './layer.js';
import { inheritDensity, type LayerDescriptor } from './kind.js';
import { poolCosts } from './pool-shape.js';

function createMaxpool(spec: PoolSpec, setup: LayerSetup): Layer {
  const pad = explicitPad(spec.pad);
  const filterSize: [number, number] = [spec.kernel[0], spec.kernel[1]];
  const strides: [number, number] = [spec.stride[0], spec.stride[1]];
  return {
    spec,
    params: [],
    buffers: [],
    outputShape: setup.outputShape,
    forward: (inputs) => ({
      output: tf
        .engine()
        .runKernel(
          'MaxPool',
          { x: inputs[0] },
          { filterSize, strides, pad, dimRoundingMode: 'floor' },
        ) as tf.Tensor,
    }),
    backward(a: BackwardArgs): BackwardResult {
      const dx = tf.engine().runKernel(
        'MaxPoolGrad',
        {
          dy: a.dy as tf.Tensor,
          input: a.saved.input as tf.Tensor,
          output: a.saved.output as tf.Tensor,
        },
        { filterSize, strides, pad, dimRoundingMode: 'floor' },
      ) as tf.Tensor;
      return { inputGrads: [dx], paramGrads: [] };
    },
  };
}

export const maxpoolKind: LayerDescriptor<PoolSpec> = {
  kind: 'maxpool',
  arity: [1, 1],
  saves: ['input', 'output'],
  hasParams: false,
  view: false,
  analyze: (l, xs) => poolCosts(l, xs[0]),
  density: inheritDensity,
  create: createMaxpool,
};
