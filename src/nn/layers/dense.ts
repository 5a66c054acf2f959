/**
 * Fully connected layer on [N, in] features. Weight [in, units], bias
 * [units]. Saves its input X. Backward: dX = dY W^T, dW = X^T dY, db = sum
 * of dY over N, with explicit transposes (the wasm BatchMatMul is slow with
 * transpose flags).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DenseSpec } from '../spec.js';
import { tidyBackward } from './layer.js';
import type { BackwardArgs, BackwardResult, Layer, LayerSetup } from './layer.js';
import { denseOutput, type LayerCosts, type LayerDescriptor, type Shape } from './kind.js';
import { fail, isPosInt } from './rules.js';

function createDense(spec: DenseSpec, setup: LayerSetup): Layer {
  const fanIn = setup.inputShapes[0].reduce((a, b) => a * b, 1);
  const weight = setup.makeParam(
    `${spec.name}/weight`,
    [fanIn, spec.units],
    setup.init,
    fanIn,
    spec.units,
  );
  const bias = spec.bias ? setup.makeParam(`${spec.name}/bias`, [spec.units], 'zeros') : null;
  const params = bias ? [weight, bias] : [weight];
  const as2d = (t: tf.Tensor): tf.Tensor2D =>
    t.rank === 2 ? (t as tf.Tensor2D) : tf.reshape(t, [t.shape[0], -1]);
  return {
    spec,
    params,
    buffers: [],
    outputShape: setup.outputShape,
    forward: (inputs) => ({
      output: tf.tidy(() =>
        tf.fused.matMul({ a: as2d(inputs[0]), b: weight.value as tf.Tensor2D, bias: bias?.value }),
      ),
    }),
    backward(a: BackwardArgs): BackwardResult {
      const x = a.saved.input as tf.Tensor;
      const dy = a.dy as tf.Tensor2D;
      return tidyBackward(() => {
        const dw = tf.matMul(tf.transpose(as2d(x)), dy);
        const dx = a.needInputGrad[0]
          ? tf.reshape(tf.matMul(dy, tf.transpose(weight.value as tf.Tensor2D)), x.shape)
          : null;
        return { inputGrads: [dx], paramGrads: bias ? [dw, tf.sum(dy, 0)] : [dw] };
      });
    },
  };
}

function analyze(l: DenseSpec, inputs: readonly Shape[]): LayerCosts {
  const x = inputs[0];
  if (x.length !== 1) {
    fail(l.name, `needs a [features] input, got [${x.join(',')}]; add a flatten layer before it`);
  }
  if (!isPosInt(l.units)) fail(l.name, `units must be a positive integer, got ${l.units}`);
  const macs = x[0] * l.units;
  const bias = l.bias ? l.units : 0;
  return {
    outputShape: [l.units],
    params: macs + bias,
    forwardFlops: 2 * macs + bias,
    paramGradFlops: 2 * macs + bias,
    inputGradFlops: 2 * macs,
  };
}

export const denseKind: LayerDescriptor<DenseSpec> = {
  kind: 'dense',
  arity: [1, 1],
  saves: ['input'],
  hasParams: true,
  view: false,
  analyze,
  density: denseOutput,
  create: createDense,
};
