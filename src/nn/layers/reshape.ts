/**
 * Reshape to another per-example shape with the same number of elements:
 * [C,H,W] or [C] in the spec's convention, the elements kept in NHWC order
 * (as Keras' channels_last Reshape). A view of its input, like flatten.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ReshapeSpec } from '../spec.js';
import type { BackwardArgs, BackwardResult, Layer, LayerSetup } from './layer.js';
import { inheritDensity, type LayerDescriptor } from './kind.js';
import { elementwise, fail, isPosInt, product } from './rules.js';

function createReshape(spec: ReshapeSpec, setup: LayerSetup): Layer {
  const inShape = setup.inputShapes[0];
  const outShape = setup.outputShape;
  return {
    spec,
    params: [],
    buffers: [],
    outputShape: outShape,
    forward: (inputs) => ({ output: tf.reshape(inputs[0], [inputs[0].shape[0], ...outShape]) }),
    backward(a: BackwardArgs): BackwardResult {
      const dy = a.dy as tf.Tensor;
      return { inputGrads: [tf.reshape(dy, [dy.shape[0], ...inShape])], paramGrads: [] };
    },
  };
}

export const reshapeKind: LayerDescriptor<ReshapeSpec> = {
  kind: 'reshape',
  arity: [1, 1],
  saves: [],
  hasParams: false,
  view: true,
  analyze(l, xs) {
    if (
      !Array.isArray(l.shape) ||
      (l.shape.length !== 1 && l.shape.length !== 3) ||
      !l.shape.every(isPosInt)
    ) {
      fail(
        l.name,
        `shape must be [C] or [C,H,W] positive integers, got ${JSON.stringify(l.shape)}`,
      );
    }
    if (product(l.shape) !== product(xs[0])) {
      fail(l.name, `cannot reshape [${xs[0].join(',')}] to [${l.shape.join(',')}]: sizes differ`);
    }
    return { ...elementwise(xs[0], 0, 0), outputShape: [...l.shape] };
  },
  density: inheritDensity,
  create: createReshape,
};
