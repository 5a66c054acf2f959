/**
 * Inverted dropout: in training, y = x * mask with mask = 1/(1-rate) where an
 * element is kept, 0 where dropped; in inference y = x. The mask is drawn
 * from the counter-based generator keyed by (seed, layer name, step), so a
 * step's mask does not depend on what ran before it. Saves the mask (role
 * 'mask'); backward: dX = dY * mask. Spatial dropout (Keras
 * SpatialDropout2D) draws one keep/drop per image and channel; its saved
 * mask still has the input's size.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hashString, lowbias32, streamKey, uniform01 } from '../prng.js';
import { share } from '../share.js';
import type { DropoutSpec } from '../spec.js';
import type { BackwardArgs, BackwardResult, ForwardContext, Layer, LayerSetup } from './layer.js';
import { allSparse, type LayerDescriptor } from './kind.js';
import { elementwise, fail } from './rules.js';

export function dropoutMask(
  seed: number,
  layer: string,
  step: number,
  size: number,
  rate: number,
): Float32Array {
  const mask = new Float32Array(size);
  const keep = 1 / (1 - rate);
  const stream = streamKey(seed, lowbias32(hashString(layer) ^ lowbias32(step >>> 0)));
  for (let i = 0; i < size; i++) mask[i] = uniform01(stream, i) < rate ? 0 : keep;
  return mask;
}

/** Spatial dropout's mask: one draw per (image, channel), spread over the feature map. */
function channelMask(
  seed: number,
  layer: string,
  step: number,
  shape: readonly number[],
  rate: number,
): tf.Tensor {
  const [n, h, w, c] = shape;
  return tf.tidy(() =>
    tf.tile(tf.tensor(dropoutMask(seed, layer, step, n * c, rate), [n, 1, 1, c]), [1, h, w, 1]),
  );
}

function createDropout(spec: DropoutSpec, setup: LayerSetup): Layer {
  return {
    spec,
    params: [],
    buffers: [],
    outputShape: setup.outputShape,
    forward(inputs, ctx: ForwardContext) {
      const x = inputs[0];
      if (!ctx.training) return { output: share(x) };
      const mask = spec.spatial
        ? channelMask(ctx.seed, spec.name, ctx.step, x.shape, spec.rate)
        : tf.tensor(dropoutMask(ctx.seed, spec.name, ctx.step, x.size, spec.rate), x.shape);
      return { output: tf.mul(x, mask), mask };
    },
    backward(a: BackwardArgs): BackwardResult {
      return { inputGrads: [tf.mul(a.dy as tf.Tensor, a.saved.mask as tf.Tensor)], paramGrads: [] };
    },
  };
}

export const dropoutKind: LayerDescriptor<DropoutSpec> = {
  kind: 'dropout',
  arity: [1, 1],
  saves: ['mask'],
  hasParams: false,
  view: false,
  analyze(l, xs) {
    if (!(Number.isFinite(l.rate) && l.rate >= 0 && l.rate < 1)) {
      fail(l.name, `rate must be in [0, 1), got ${l.rate}`);
    }
    if (l.spatial && xs[0].length !== 3) {
      fail(l.name, `spatial dropout needs a [C,H,W] feature map, got [${xs[0].join(',')}]`);
    }
    // Draw and compare for the mask, multiply by mask/(1-rate); backward multiplies.
    return elementwise(xs[0], 3, 1);
  },
  // Dropped elements are zeros too: the density scales by the keep probability.
  density: (l, ins) => (allSparse(ins) ? ins[0] * (1 - l.rate) : 0),
  create: createDropout,
};
