/**
 * Average pooling with explicit padding. Padded positions are not counted:
 * a window's average is over the input elements it covers (tfjs semantics,
 * on both backends). Saves nothing: backward needs only the input's shape.
 * tfjs's AvgPoolGrad spreads each gradient with weight 1/(kh*kw); windows
 * that overlap the padding cover fewer elements, so dY is first scaled by
 * kh*kw/count per output position.
 */
import * as tf from '@tensorflow/tfjs-core';
import { AVG_POOL_GRAD_FROM_SHAPE } from '../kernels/AvgPoolGradFromShape.js';
import type { PoolSpec } from '../spec.js';
import { explicitPad } from './conv-attrs.js';
import type { BackwardArgs, BackwardResult, Layer, LayerSetup } from './layer.js';
import { inheritDensity, type LayerDescriptor } from './kind.js';
import { poolCosts } from './pool-shape.js';

/** Input elements covered by each window along one axis. */
function coverage(size: number, out: number, k: number, s: number, before: number): number[] {
  const c: number[] = [];
  for (let o = 0; o < out; o++) {
    const from = o * s - before;
    c.push(Math.min(from + k, size) - Math.max(from, 0));
  }
  return c;
}

function createAvgpool(spec: PoolSpec, setup: LayerSetup): Layer {
  const pad = explicitPad(spec.pad);
  const [kh, kw] = spec.kernel;
  const filterSize: [number, number] = [kh, kw];
  const strides: [number, number] = [spec.stride[0], spec.stride[1]];
  const [h, w, c] = setup.inputShapes[0];
  const [oh, ow] = setup.outputShape;
  const padded = spec.pad.some((p) => p !== 0);
  // kh*kw / (covered elements) per output position, [oh, ow, 1]; all ones without padding.
  const rows = coverage(h, oh, kh, strides[0], spec.pad[0]);
  const cols = coverage(w, ow, kw, strides[1], spec.pad[2]);
  const scale = new Float32Array(oh * ow);
  for (let i = 0; i < oh; i++)
    for (let j = 0; j < ow; j++) scale[i * ow + j] = (kh * kw) / (rows[i] * cols[j]);

  return {
    spec,
    params: [],
    buffers: [],
    outputShape: setup.outputShape,
    forward: (inputs) => ({
      output: tf
        .engine()
        .runKernel(
          'AvgPool',
          { x: inputs[0] },
          { filterSize, strides, pad, dimRoundingMode: 'floor' },
        ) as tf.Tensor,
    }),
    backward(a: BackwardArgs): BackwardResult {
      const dy = a.dy as tf.Tensor;
      const dx = tf.tidy(() => {
        const g = padded ? tf.mul(dy, tf.tensor3d(scale, [oh, ow, 1])) : dy;
        return tf
          .engine()
          .runKernel(
            AVG_POOL_GRAD_FROM_SHAPE,
            { dy: g },
            { inputShape: [dy.shape[0], h, w, c], filterSize, strides, pad },
          ) as tf.Tensor;
      });
      return { inputGrads: [dx], paramGrads: [] };
    },
  };
}

export const avgpoolKind: LayerDescriptor<PoolSpec> = {
  kind: 'avgpool',
  arity: [1, 1],
  saves: [],
  hasParams: false,
  view: false,
  analyze: (l, xs) => poolCosts(l, xs[0]),
  density: inheritDensity,
  create: createAvgpool,
};
