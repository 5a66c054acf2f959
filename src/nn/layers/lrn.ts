/**
 * Across-channel local response normalisation, Caffe convention:
 * y = x / (k + alpha/size * sum over `size` neighbouring channels of x^2)^beta.
 * (tfjs's alpha multiplies the sum directly, so it gets alpha/size.) Saves
 * its input X and output Y; backward is tfjs's LRNGrad kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { LrnSpec } from '../spec.js';
import type { BackwardArgs, BackwardResult, Layer, LayerSetup } from './layer.js';

export function createLrn(spec: LrnSpec, setup: LayerSetup): Layer {
  const attrs = {
    depthRadius: (spec.size - 1) / 2,
    bias: spec.k,
    alpha: spec.alpha / spec.size,
    beta: spec.beta,
  };
  return {
    spec,
    params: [],
    buffers: [],
    outputShape: setup.outputShape,
    forward: (inputs) => ({
      output: tf.engine().runKernel('LRN', { x: inputs[0] }, attrs) as tf.Tensor,
    }),
    backward(a: BackwardArgs): BackwardResult {
      const dx = tf
        .engine()
        .runKernel(
          'LRNGrad',
          { x: a.saved.input as tf.Tensor, y: a.saved.output as tf.Tensor, dy: a.dy as tf.Tensor },
          attrs,
        ) as tf.Tensor;
      return { inputGrads: [dx], paramGrads: [] };
    },
  };
}
