/**
 * Batch normalisation over N (and H, W) per channel, gamma/beta parameters.
 * Training: normalises with the batch mean and (biased) variance, and moves
 * the running statistics PyTorch-style: running = (1-momentum)*running +
 * momentum*batch, with the unbiased variance. Inference uses the running
 * statistics. Saves its input X (plus the per-channel batch mean and 1/std
 * as small layer state). Backward, with xhat = (x-mean)/std and M elements
 * per channel: dbeta = sum dY, dgamma = sum dY*xhat,
 * dX = gamma/(std*M) * (M*dY - dbeta - xhat*dgamma). Without `scale` gamma is
 * 1 and not a parameter, without `center` beta is 0. A frozen batchnorm
 * (spec.frozen, fine-tuning) always normalises with the running statistics
 * and leaves them alone, as Keras does for a layer that is not trainable;
 * its dX = dY * gamma / sqrt(running var + eps).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchNormSpec } from '../spec.js';
import { tidyBackward } from './layer.js';
import type { BackwardArgs, BackwardResult, ForwardContext, Layer, LayerSetup } from './layer.js';
import { denseOutput, type LayerCosts, type LayerDescriptor, type Shape } from './kind.js';
import { fail, product } from './rules.js';

function createBatchnorm(spec: BatchNormSpec, setup: LayerSetup): Layer {
  const shape = setup.inputShapes[0];
  const c = shape[shape.length - 1];
  const axes = shape.length === 3 ? [0, 1, 2] : [0];
  const gamma = spec.scale === false ? null : setup.makeParam(`${spec.name}/gamma`, [c], 'ones');
  const beta = spec.center === false ? null : setup.makeParam(`${spec.name}/beta`, [c], 'zeros');
  const runMean = setup.makeBuffer(`${spec.name}/running_mean`, [c], 0);
  const runVar = setup.makeBuffer(`${spec.name}/running_var`, [c], 1);
  const params = [gamma, beta].filter((p) => p !== null);
  const m = spec.momentum;
  const frozen = spec.frozen === true;
  return {
    spec,
    params,
    buffers: [runMean, runVar],
    outputShape: setup.outputShape,
    forward(inputs, ctx: ForwardContext) {
      const x = inputs[0];
      if (!ctx.training || frozen) {
        return {
          output: tf.batchNorm(
            x,
            runMean.value,
            runVar.value,
            beta?.value,
            gamma?.value,
            spec.epsilon,
          ),
        };
      }
      return tf.tidy(() => {
        const { mean, variance } = tf.moments(x, axes);
        const count = x.size / c;
        const unbiased = count > 1 ? tf.mul(variance, count / (count - 1)) : variance;
        runMean.value.assign(tf.add(tf.mul(runMean.value, 1 - m), tf.mul(mean, m)));
        runVar.value.assign(tf.add(tf.mul(runVar.value, 1 - m), tf.mul(unbiased, m)));
        const output = tf.batchNorm(x, mean, variance, beta?.value, gamma?.value, spec.epsilon);
        const invStd = tf.rsqrt(tf.add(variance, spec.epsilon));
        return { output, state: [mean, invStd] };
      });
    },
    backward(a: BackwardArgs): BackwardResult {
      const dy = a.dy as tf.Tensor;
      if (frozen) {
        // Inference mode: y = (x - running mean) * gamma / sqrt(running var + eps) + beta.
        return tidyBackward(() => {
          const k = tf.rsqrt(tf.add(runVar.value, spec.epsilon));
          const dx = a.needInputGrad[0] ? tf.mul(dy, gamma ? tf.mul(k, gamma.value) : k) : null;
          return { inputGrads: [dx], paramGrads: params.map(() => tf.zeros([c])) };
        });
      }
      const x = a.saved.input as tf.Tensor;
      const [mean, invStd] = a.state;
      return tidyBackward(() => {
        const count = x.size / c;
        const xhat = tf.mul(tf.sub(x, mean), invStd);
        const dbeta = tf.sum(dy, axes);
        const dgamma = tf.sum(tf.mul(dy, xhat), axes);
        const scale = gamma ? tf.mul(gamma.value, tf.div(invStd, count)) : tf.div(invStd, count);
        const dx = a.needInputGrad[0]
          ? tf.mul(scale, tf.sub(tf.sub(tf.mul(dy, count), dbeta), tf.mul(xhat, dgamma)))
          : null;
        const paramGrads = [gamma ? dgamma : null, beta ? dbeta : null].filter((g) => g !== null);
        return { inputGrads: [dx], paramGrads };
      });
    },
  };
}

function analyze(l: BatchNormSpec, inputs: readonly Shape[]): LayerCosts {
  const x = inputs[0];
  if (x.length !== 1 && x.length !== 3) {
    fail(l.name, `needs a [C,H,W] or [C] input, got [${x.join(',')}]`);
  }
  if (!(Number.isFinite(l.epsilon) && l.epsilon > 0)) {
    fail(l.name, `epsilon must be a positive number, got ${l.epsilon}`);
  }
  if (!(Number.isFinite(l.momentum) && l.momentum >= 0 && l.momentum <= 1)) {
    fail(l.name, `momentum must be in [0, 1], got ${l.momentum}`);
  }
  const n = product(x);
  return {
    outputShape: x,
    params: ((l.scale === false ? 0 : 1) + (l.center === false ? 0 : 1)) * x[0],
    // mean (1), variance (2), normalise (2), scale and shift (2)
    forwardFlops: 7 * n,
    // dgamma, dbeta (4); dx from the saved input and the batch statistics (8)
    paramGradFlops: 4 * n,
    inputGradFlops: 8 * n,
  };
}

export const batchnormKind: LayerDescriptor<BatchNormSpec> = {
  kind: 'batchnorm',
  arity: [1, 1],
  saves: ['input'],
  hasParams: true,
  view: false,
  analyze,
  density: denseOutput,
  create: createBatchnorm,
};
