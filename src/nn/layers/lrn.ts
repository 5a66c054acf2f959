/**
 * Across-channel local response normalisation, Caffe convention:
 * y = x / (k + alpha/size * sum over `size` neighbouring channels of x^2)^beta.
 * (tfjs's alpha multiplies the sum directly, so it gets alpha/size.) Saves
 * its input X and output Y; backward is tfjs's LRNGrad kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LrnSpec } from '../spec.js';
import type { BackwardArgs, BackwardResult, Layer, LayerSetup } from './layer.js';
import { inheritDensity, type LayerCosts, type LayerDescriptor, type Shape } from './kind.js';
import { fail, featureMap, isPosInt, product } from './rules.js';

function createLrn(spec: LrnSpec, setup: LayerSetup): Layer {
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

function analyze(l: LrnSpec, inputs: readonly Shape[]): LayerCosts {
  const x = inputs[0];
  featureMap(l.name, x);
  if (!isPosInt(l.size) || l.size % 2 === 0) {
    fail(l.name, `size must be a positive odd integer, got ${l.size}`);
  }
  for (const [k, v] of [
    ['alpha', l.alpha],
    ['beta', l.beta],
    ['k', l.k],
  ] as const) {
    if (!Number.isFinite(v) || v < 0) fail(l.name, `${k} must be a finite number >= 0, got ${v}`);
  }
  const n = product(x);
  // Window sum of squares (size multiply-adds), scale and offset (2), power and divide (2).
  const fwd = n * (2 * l.size + 4);
  return {
    outputShape: x,
    params: 0,
    forwardFlops: fwd,
    paramGradFlops: 0,
    // A second window sum over y*dy/scale plus the element-wise terms.
    inputGradFlops: n * (2 * l.size + 6),
  };
}

export const lrnKind: LayerDescriptor<LrnSpec> = {
  kind: 'lrn',
  arity: [1, 1],
  saves: ['input', 'output'],
  hasParams: false,
  view: false,
  analyze,
  density: inheritDensity,
  create: createLrn,
};
