/**
 * Softmax + cross-entropy against integer labels, mean over the batch: the
 * model's sink. Its output Y is the softmax probabilities [N, K], which it
 * saves; it also returns the mean loss and the number of correct argmax
 * predictions. Backward: dLogits = (Y - onehot(labels)) / N.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SoftmaxCrossEntropySpec } from '../spec.js';
import type { BackwardArgs, BackwardResult, ForwardContext, Layer, LayerSetup } from './layer.js';
import { denseOutput, type LayerDescriptor } from './kind.js';
import { elementwise, fail } from './rules.js';

function createSoftmaxCe(spec: SoftmaxCrossEntropySpec, setup: LayerSetup): Layer {
  const k = setup.outputShape[0];
  return {
    spec,
    params: [],
    buffers: [],
    outputShape: setup.outputShape,
    forward(inputs, ctx: ForwardContext) {
      const logits = inputs[0];
      return tf.tidy(() => {
        const logp = tf.logSoftmax(logits);
        const onehot = tf.oneHot(ctx.labels as tf.Tensor1D, k);
        const loss = tf.neg(tf.mean(tf.sum(tf.mul(onehot, logp), 1)));
        const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), ctx.labels), 'int32'));
        return { output: tf.exp(logp), loss, correct };
      });
    },
    backward(a: BackwardArgs): BackwardResult {
      const y = a.saved.output as tf.Tensor;
      const dx = tf.tidy(() =>
        tf.div(tf.sub(y, tf.oneHot(a.labels as tf.Tensor1D, k)), y.shape[0]),
      );
      return { inputGrads: [dx], paramGrads: [] };
    },
  };
}

export const softmaxCeKind: LayerDescriptor<SoftmaxCrossEntropySpec> = {
  kind: 'softmax_ce',
  arity: [1, 1],
  saves: ['output'],
  hasParams: false,
  view: false,
  analyze(l, xs, numClasses) {
    const x = xs[0];
    if (x.length !== 1 || x[0] !== numClasses) {
      fail(l.name, `needs a [${numClasses}] logits input (numClasses), got [${x.join(',')}]`);
    }
    // max, subtract, exp, sum, divide; log of the label's probability
    return { ...elementwise(x, 5, 1), forwardFlops: 5 * x[0] + 1 };
  },
  density: denseOutput,
  create: createSoftmaxCe,
};
