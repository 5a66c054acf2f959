/**
 * 2-D convolution, NHWC, explicit padding, optional groups and bias.
 * Saves its input X. Weight [kh, kw, cin/groups, filters], bias [filters].
 * Backward: dX by Conv2DBackpropInput and dW by Conv2DBackpropFilter (on
 * wasm, cdma's fast kernels), db = sum of dY over N, H, W. Groups run as
 * separate convolutions over channel slices, concatenated. A dilated
 * convolution's backward runs on the dilated filter (zeros between the
 * taps), whose filter gradient is then read back at the taps.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Conv2dSpec } from '../spec.js';
import { explicitPad, type ExplicitPad } from './conv-attrs.js';
import { tidyBackward } from './layer.js';
import type { BackwardArgs, BackwardResult, ForwardResult, Layer, LayerSetup } from './layer.js';
import { denseOutput, type LayerCosts, type LayerDescriptor, type Shape } from './kind.js';
import { checkPad, checkPair, fail, featureMap, isPosInt, windowOut } from './rules.js';

function createConv2d(spec: Conv2dSpec, setup: LayerSetup): Layer {
  const cin = setup.inputShapes[0][2];
  const g = spec.groups;
  const [kh, kw] = spec.kernel;
  const cinG = cin / g;
  const coutG = spec.filters / g;
  const weight = setup.makeParam(
    `${spec.name}/weight`,
    [kh, kw, cinG, spec.filters],
    setup.init,
    kh * kw * cinG,
    kh * kw * coutG,
  );
  const bias = spec.bias ? setup.makeParam(`${spec.name}/bias`, [spec.filters], 'zeros') : null;
  const params = bias ? [weight, bias] : [weight];
  const pad = explicitPad(spec.pad);
  const strides: [number, number] = [spec.stride[0], spec.stride[1]];
  const dilations: [number, number] = [spec.dilation?.[0] ?? 1, spec.dilation?.[1] ?? 1];
  const dilated = dilations[0] > 1 || dilations[1] > 1;

  const channels = (t: tf.Tensor, i: number, per: number): tf.Tensor4D =>
    tf.slice(t, [0, 0, 0, i * per], [-1, -1, -1, per]) as tf.Tensor4D;

  function forward(inputs: readonly tf.Tensor[]): ForwardResult {
    const x = inputs[0] as tf.Tensor4D;
    const output = tf.tidy(() => {
      const w = weight.value as tf.Tensor4D;
      if (g === 1) {
        return tf.fused.conv2d({ x, filter: w, strides, pad, dilations, bias: bias?.value });
      }
      const parts: tf.Tensor4D[] = [];
      for (let i = 0; i < g; i++) {
        parts.push(
          tf.fused.conv2d({
            x: channels(x, i, cinG),
            filter: channels(w, i, coutG),
            strides,
            pad,
            dilations,
            bias: bias ? tf.slice(bias.value, [i * coutG], [coutG]) : undefined,
          }),
        );
      }
      return tf.concat(parts, 3);
    });
    return { output };
  }

  function backward(a: BackwardArgs): BackwardResult {
    const x = a.saved.input as tf.Tensor4D;
    const dy = a.dy as tf.Tensor4D;
    const needDx = a.needInputGrad[0];
    return tidyBackward(() => {
      const w = dilated
        ? dilate(weight.value as tf.Tensor4D, dilations)
        : (weight.value as tf.Tensor4D);
      let dx: tf.Tensor | null = null;
      let dw: tf.Tensor;
      if (g === 1) {
        dw = filterGrad(x, dy, w.shape, strides, pad);
        if (needDx) dx = inputGrad(dy, w, x.shape, strides, pad);
      } else {
        const dws: tf.Tensor[] = [];
        const dxs: tf.Tensor[] = [];
        for (let i = 0; i < g; i++) {
          const dyi = channels(dy, i, coutG);
          const xi = channels(x, i, cinG);
          dws.push(filterGrad(xi, dyi, [w.shape[0], w.shape[1], cinG, coutG], strides, pad));
          if (needDx) dxs.push(inputGrad(dyi, channels(w, i, coutG), xi.shape, strides, pad));
        }
        dw = tf.concat(dws, 3);
        if (needDx) dx = tf.concat(dxs, 3);
      }
      if (dilated) {
        dw = tf.stridedSlice(
          dw,
          [0, 0, 0, 0],
          [w.shape[0], w.shape[1], cinG, spec.filters],
          [dilations[0], dilations[1], 1, 1],
        );
      }
      const paramGrads = bias ? [dw, tf.sum(dy, [0, 1, 2])] : [dw];
      return { inputGrads: [dx], paramGrads };
    });
  }

  return { spec, params, buffers: [], outputShape: setup.outputShape, forward, backward };
}

/** The filter with (dilation - 1) zeros between taps: a plain convolution with it is the dilated one. */
function dilate(w: tf.Tensor4D, [dh, dw]: [number, number]): tf.Tensor4D {
  const [kh, kw, ci, co] = w.shape;
  const t = tf.pad(tf.reshape(w, [kh, 1, kw, 1, ci, co]), [
    [0, 0],
    [0, dh - 1],
    [0, 0],
    [0, dw - 1],
    [0, 0],
    [0, 0],
  ]);
  const full = tf.reshape(t, [kh * dh, kw * dw, ci, co]) as tf.Tensor4D;
  return tf.slice(full, [0, 0, 0, 0], [(kh - 1) * dh + 1, (kw - 1) * dw + 1, ci, co]);
}

function filterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: readonly number[],
  strides: [number, number],
  pad: ExplicitPad,
): tf.Tensor {
  return tf
    .engine()
    .runKernel(
      'Conv2DBackpropFilter',
      { x, dy },
      { strides, pad, dataFormat: 'NHWC', dimRoundingMode: 'floor', filterShape: [...filterShape] },
    ) as tf.Tensor;
}

function inputGrad(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: readonly number[],
  strides: [number, number],
  pad: ExplicitPad,
): tf.Tensor {
  return tf
    .engine()
    .runKernel(
      'Conv2DBackpropInput',
      { dy, filter },
      { strides, pad, dataFormat: 'NHWC', dimRoundingMode: 'floor', inputShape: [...inputShape] },
    ) as tf.Tensor;
}

function analyze(l: Conv2dSpec, inputs: readonly Shape[]): LayerCosts {
  const [c, h, w] = featureMap(l.name, inputs[0]);
  if (!isPosInt(l.filters)) fail(l.name, `filters must be a positive integer, got ${l.filters}`);
  checkPair(l.name, 'kernel', l.kernel);
  checkPair(l.name, 'stride', l.stride);
  checkPad(l.name, l.pad);
  if (l.dilation !== undefined) checkPair(l.name, 'dilation', l.dilation);
  if (!isPosInt(l.groups)) fail(l.name, `groups must be a positive integer, got ${l.groups}`);
  if (c % l.groups !== 0 || l.filters % l.groups !== 0) {
    fail(
      l.name,
      `groups ${l.groups} must divide both input channels ${c} and filters ${l.filters}`,
    );
  }
  const [kh, kw] = l.kernel;
  const [sh, sw] = l.stride;
  const [pt, pb, pl, pr] = l.pad;
  const [dh, dw] = l.dilation ?? [1, 1];
  const oh = windowOut(l.name, h, (kh - 1) * dh + 1, sh, pt, pb);
  const ow = windowOut(l.name, w, (kw - 1) * dw + 1, sw, pl, pr);
  const out = l.filters * oh * ow;
  const fanIn = (c / l.groups) * kh * kw;
  const macs = out * fanIn;
  const bias = l.bias ? out : 0;
  return {
    outputShape: [l.filters, oh, ow],
    params: l.filters * fanIn + (l.bias ? l.filters : 0),
    forwardFlops: 2 * macs + bias,
    paramGradFlops: 2 * macs + bias,
    inputGradFlops: 2 * macs,
  };
}

export const conv2dKind: LayerDescriptor<Conv2dSpec> = {
  kind: 'conv2d',
  arity: [1, 1],
  saves: ['input'],
  hasParams: true,
  view: false,
  analyze,
  density: denseOutput,
  create: createConv2d,
};
