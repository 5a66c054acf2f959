/** y = x * scale + offset (Keras Rescaling, scalar factors). Saves nothing; dX = dY * scale. */
import * as tf from '@tensorflow/tfjs-core';
import type { RescaleSpec } from '../spec.js';
import type { BackwardArgs, BackwardResult, Layer, LayerSetup } from './layer.js';
import { denseOutput, type LayerDescriptor } from './kind.js';
import { elementwise, fail } from './rules.js';

function createRescale(spec: RescaleSpec, setup: LayerSetup): Layer {
  return {
    spec,
    params: [],
    buffers: [],
    outputShape: setup.outputShape,
    forward: (inputs) => ({
      output: tf.tidy(() => tf.add(tf.mul(inputs[0], spec.scale), spec.offset)),
    }),
    backward: (a: BackwardArgs): BackwardResult => ({
      inputGrads: [tf.mul(a.dy as tf.Tensor, spec.scale)],
      paramGrads: [],
    }),
  };
}

export const rescaleKind: LayerDescriptor<RescaleSpec> = {
  kind: 'rescale',
  arity: [1, 1],
  saves: [],
  hasParams: false,
  view: false,
  analyze(l, xs) {
    if (!Number.isFinite(l.scale) || !Number.isFinite(l.offset)) {
      fail(l.name, `scale and offset must be finite numbers, got ${l.scale} and ${l.offset}`);
    }
    return elementwise(xs[0], 2, 1);
  },
  density: denseOutput,
  create: createRescale,
};
