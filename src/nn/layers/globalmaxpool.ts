/**
 * Global max pooling [N,H,W,C] -> [N,C]. Saves its input X; backward sends
 * dY to every position that equals its channel's maximum (as TensorFlow's
 * gradient of max does for ties).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GlobalMaxPoolSpec } from '../spec.js';
import type { BackwardArgs, BackwardResult, Layer, LayerSetup } from './layer.js';
import { inheritDensity, type LayerDescriptor } from './kind.js';
import { featureMap, product } from './rules.js';

function createGlobalMaxpool(spec: GlobalMaxPoolSpec, setup: LayerSetup): Layer {
  const c = setup.inputShapes[0][2];
  return {
    spec,
    params: [],
    buffers: [],
    outputShape: setup.outputShape,
    forward: (inputs) => ({ output: tf.max(inputs[0], [1, 2]) }),
    backward(a: BackwardArgs): BackwardResult {
      const x = a.saved.input as tf.Tensor;
      const dy = a.dy as tf.Tensor;
      const dx = tf.tidy(() => {
        const n = x.shape[0];
        const hit = tf.cast(tf.equal(x, tf.max(x, [1, 2], true)), 'float32');
        return tf.mul(hit, tf.reshape(dy, [n, 1, 1, c]));
      });
      return { inputGrads: [dx], paramGrads: [] };
    },
  };
}

export const globalMaxpoolKind: LayerDescriptor<GlobalMaxPoolSpec> = {
  kind: 'globalmaxpool',
  arity: [1, 1],
  saves: ['input'],
  hasParams: false,
  view: false,
  analyze(l, xs) {
    const [c] = featureMap(l.name, xs[0]);
    const n = product(xs[0]);
    return {
      outputShape: [c],
      params: 0,
      forwardFlops: n,
      paramGradFlops: 0,
      inputGradFlops: 2 * n,
    };
  },
  density: inheritDensity,
  create: createGlobalMaxpool,
};
