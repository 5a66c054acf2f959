/** Zero padding of a feature map ([top, bottom, left, right]). Saves nothing; dX is dY's inner window. */
import * as tf from '@tensorflow/tfjs-core';
import type { CropSpec, ZeroPadSpec } from '../spec.js';
import type { BackwardArgs, BackwardResult, Layer, LayerSetup } from './layer.js';
import { inheritDensity, type LayerDescriptor } from './kind.js';
import { checkPad, fail, featureMap } from './rules.js';
import { padOrCrop } from './depthwise2d.js';

/** A layer that pads (sign 1) or crops (sign -1) rows and columns; backward does the opposite. */
export function createBorder(spec: ZeroPadSpec | CropSpec, setup: LayerSetup, sign: 1 | -1): Layer {
  const [t, b, l, r] = spec.kind === 'zeropad' ? spec.pad : spec.crop;
  const by = (k: number, x: tf.Tensor): tf.Tensor =>
    padOrCrop(x as tf.Tensor4D, k * t, k * b, k * l, k * r);
  return {
    spec,
    params: [],
    buffers: [],
    outputShape: setup.outputShape,
    forward: (inputs) => ({ output: by(sign, inputs[0]) }),
    backward: (a: BackwardArgs): BackwardResult => ({
      inputGrads: [by(-sign, a.dy as tf.Tensor)],
      paramGrads: [],
    }),
  };
}

export const zeropadKind: LayerDescriptor<ZeroPadSpec> = {
  kind: 'zeropad',
  arity: [1, 1],
  saves: [],
  hasParams: false,
  view: false,
  analyze(l, xs) {
    const [c, h, w] = featureMap(l.name, xs[0]);
    checkPad(l.name, l.pad);
    const [t, b, le, r] = l.pad;
    if (h + t + b > 65536 || w + le + r > 65536) fail(l.name, 'padded size is too large');
    return {
      outputShape: [c, h + t + b, w + le + r],
      params: 0,
      forwardFlops: 0,
      paramGradFlops: 0,
      inputGradFlops: 0,
    };
  },
  density: inheritDensity,
  create: (spec, setup) => createBorder(spec, setup, 1),
};
