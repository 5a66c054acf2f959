/** Global average pooling [N,H,W,C] -> [N,C]. Saves nothing; dX = dY/(H*W) everywhere. */
import * as tf from '@tensorflow/tfjs-core';
import type { GlobalAvgPoolSpec } from '../spec.js';
import type { BackwardArgs, BackwardResult, Layer, LayerSetup } from './layer.js';
import { inheritDensity, type LayerDescriptor } from './kind.js';
import { featureMap, product } from './rules.js';

function createGlobalAvgpool(spec: GlobalAvgPoolSpec, setup: LayerSetup): Layer {
  const [h, w, c] = setup.inputShapes[0];
  return {
    spec,
    params: [],
    buffers: [],
    outputShape: setup.outputShape,
    forward: (inputs) => ({ output: tf.mean(inputs[0], [1, 2]) }),
    backward(a: BackwardArgs): BackwardResult {
      const dy = a.dy as tf.Tensor;
      const dx = tf.tidy(() =>
        tf.tile(tf.reshape(tf.div(dy, h * w), [dy.shape[0], 1, 1, c]), [1, h, w, 1]),
      );
      return { inputGrads: [dx], paramGrads: [] };
    },
  };
}

export const globalAvgpoolKind: LayerDescriptor<GlobalAvgPoolSpec> = {
  kind: 'globalavgpool',
  arity: [1, 1],
  saves: [],
  hasParams: false,
  view: false,
  analyze(l, xs) {
    const [c] = featureMap(l.name, xs[0]);
    const n = product(xs[0]);
    return { outputShape: [c], params: 0, forwardFlops: n, paramGradFlops: 0, inputGradFlops: n };
  },
  density: inheritDensity,
  create: createGlobalAvgpool,
};
