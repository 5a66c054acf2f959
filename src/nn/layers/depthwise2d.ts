/**
 * Depthwise 2-D convolution, NHWC: input channel c is convolved with its own
 * `multiplier` filters, giving output channels c*multiplier + q (TensorFlow's
 * order). Explicit padding, stride, dilation (not both above 1), optional
 * bias. Weight [kh, kw, C, multiplier], bias [C*multiplier]. Saves its input X.
 *
 * The wasm backend has no depthwise gradient kernels, so backward is built
 * from forward ones:
 * - dW, one filter tap at a time: the strided window of the padded input the
 *   tap reads, times dY, summed over batch and positions;
 * - dX: dY with stride-1 zeros inserted between its rows and columns, padded
 *   so a stride-1 depthwise convolution with the flipped filter (dilated as
 *   in forward) lands on every input position (the transposed convolution),
 *   the multiplier's channels then summed.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DepthwiseConv2dSpec } from '../spec.js';
import { tidyBackward } from './layer.js';
import type { BackwardArgs, BackwardResult, ForwardResult, Layer, LayerSetup } from './layer.js';
import { denseOutput, type LayerCosts, type LayerDescriptor, type Shape } from './kind.js';
import { checkPad, checkPair, fail, featureMap, isPosInt, windowOut } from './rules.js';
import { explicitPad } from './conv-attrs.js';

/** Pads (positive) or crops (negative) rows and columns of an NHWC tensor. */
export function padOrCrop(
  x: tf.Tensor4D,
  top: number,
  bottom: number,
  left: number,
  right: number,
): tf.Tensor4D {
  let t = x;
  const [, h, w] = x.shape;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const ct = Math.max(0, -top);
    const cl = Math.max(0, -left);
    t = tf.slice(
      t,
      [0, ct, cl, 0],
      [-1, h - ct - Math.max(0, -bottom), w - cl - Math.max(0, -right), -1],
    );
  }
  const pt = Math.max(0, top);
  const pb = Math.max(0, bottom);
  const pl = Math.max(0, left);
  const pr = Math.max(0, right);
  if (pt + pb + pl + pr === 0) return t;
  return tf.pad(t, [
    [0, 0],
    [pt, pb],
    [pl, pr],
    [0, 0],
  ]);
}

/** dY with (stride - 1) zeros between rows and between columns. */
function spread(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return dy;
  const [n, oh, ow, c] = dy.shape;
  const t = tf.pad(tf.reshape(dy, [n, oh, 1, ow, 1, c]), [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  const full = tf.reshape(t, [n, oh * sh, ow * sw, c]) as tf.Tensor4D;
  return tf.slice(full, [0, 0, 0, 0], [n, (oh - 1) * sh + 1, (ow - 1) * sw + 1, c]);
}

function createDepthwise(spec: DepthwiseConv2dSpec, setup: LayerSetup): Layer {
  const [h, w, c] = setup.inputShapes[0];
  const m = spec.multiplier;
  const [kh, kw] = spec.kernel;
  const [sh, sw] = spec.stride;
  const [dh, dw] = spec.dilation ?? [1, 1];
  const [pt, pb, pl, pr] = spec.pad;
  const [oh, ow] = setup.outputShape;
  const weight = setup.makeParam(
    `${spec.name}/weight`,
    [kh, kw, c, m],
    setup.init,
    kh * kw,
    kh * kw * m,
  );
  const bias = spec.bias ? setup.makeParam(`${spec.name}/bias`, [c * m], 'zeros') : null;
  const params = bias ? [weight, bias] : [weight];
  const pad = explicitPad(spec.pad);

  function forward(inputs: readonly tf.Tensor[]): ForwardResult {
    const x = inputs[0] as tf.Tensor4D;
    const output = tf.tidy(() => {
      const y = tf.depthwiseConv2d(x, weight.value as tf.Tensor4D, [sh, sw], pad, 'NHWC', [dh, dw]);
      return bias ? tf.add(y, bias.value) : y;
    });
    return { output };
  }

  function backward(a: BackwardArgs): BackwardResult {
    const x = a.saved.input as tf.Tensor4D;
    const dy = a.dy as tf.Tensor4D;
    const n = x.shape[0];
    return tidyBackward(() => {
      const xp = padOrCrop(x, pt, pb, pl, pr);
      const dy5 = m === 1 ? dy : tf.reshape(dy, [n, oh, ow, c, m]);
      const taps: tf.Tensor[] = [];
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const win = tf.stridedSlice(
            xp,
            [0, i * dh, j * dw, 0],
            [n, i * dh + (oh - 1) * sh + 1, j * dw + (ow - 1) * sw + 1, c],
            [1, sh, sw, 1],
          );
          const prod = m === 1 ? tf.mul(win, dy5) : tf.mul(tf.expandDims(win, 4), dy5);
          taps.push(tf.sum(prod, [0, 1, 2]));
        }
      }
      const dW = tf.reshape(tf.stack(taps), [kh, kw, c, m]);
      let dx: tf.Tensor | null = null;
      if (a.needInputGrad[0]) {
        const u = spread(dy, sh, sw);
        const before = [(kh - 1) * dh - pt, (kw - 1) * dw - pl];
        const after = [
          h + (kh - 1) * dh - before[0] - u.shape[1],
          w + (kw - 1) * dw - before[1] - u.shape[2],
        ];
        const up = padOrCrop(u, before[0], after[0], before[1], after[1]);
        const flipped = tf.reshape(tf.reverse(weight.value, [0, 1]), [kh, kw, c * m, 1]);
        const r = tf.depthwiseConv2d(up, flipped as tf.Tensor4D, 1, 'valid', 'NHWC', [dh, dw]);
        dx = m === 1 ? r : tf.sum(tf.reshape(r, [n, h, w, c, m]), 4);
      }
      const paramGrads = bias ? [dW, tf.sum(dy, [0, 1, 2])] : [dW];
      return { inputGrads: [dx], paramGrads };
    });
  }

  return { spec, params, buffers: [], outputShape: setup.outputShape, forward, backward };
}

function analyze(l: DepthwiseConv2dSpec, inputs: readonly Shape[]): LayerCosts {
  const [c, h, w] = featureMap(l.name, inputs[0]);
  if (!isPosInt(l.multiplier)) {
    fail(l.name, `multiplier must be a positive integer, got ${l.multiplier}`);
  }
  checkPair(l.name, 'kernel', l.kernel);
  checkPair(l.name, 'stride', l.stride);
  if (l.dilation !== undefined) checkPair(l.name, 'dilation', l.dilation);
  checkPad(l.name, l.pad);
  const [dh, dw] = l.dilation ?? [1, 1];
  if ((dh > 1 || dw > 1) && (l.stride[0] > 1 || l.stride[1] > 1)) {
    fail(l.name, 'stride and dilation cannot both be above 1');
  }
  const kh = (l.kernel[0] - 1) * dh + 1;
  const kw = (l.kernel[1] - 1) * dw + 1;
  const oh = windowOut(l.name, h, kh, l.stride[0], l.pad[0], l.pad[1]);
  const ow = windowOut(l.name, w, kw, l.stride[1], l.pad[2], l.pad[3]);
  const out = c * l.multiplier * oh * ow;
  const macs = out * l.kernel[0] * l.kernel[1];
  const bias = l.bias ? out : 0;
  return {
    outputShape: [c * l.multiplier, oh, ow],
    params: c * l.multiplier * (l.kernel[0] * l.kernel[1] + (l.bias ? 1 : 0)),
    forwardFlops: 2 * macs + bias,
    paramGradFlops: 2 * macs + bias,
    inputGradFlops: 2 * macs,
  };
}

export const depthwise2dKind: LayerDescriptor<DepthwiseConv2dSpec> = {
  kind: 'depthwise2d',
  arity: [1, 1],
  saves: ['input'],
  hasParams: true,
  view: false,
  analyze,
  density: denseOutput,
  create: createDepthwise,
};
