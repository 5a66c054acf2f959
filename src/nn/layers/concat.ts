/** Concatenation along channels (the last axis in NHWC and [N,C]). Saves nothing; dX_i = dY's slice. */
import * as tf from '@tensorflow/tfjs-core';
import type { ConcatSpec } from '../spec.js';
import type { BackwardArgs, BackwardResult, Layer, LayerSetup } from './layer.js';
import { inheritDensity, type LayerCosts, type LayerDescriptor, type Shape } from './kind.js';
import { fail } from './rules.js';

function createConcat(spec: ConcatSpec, setup: LayerSetup): Layer {
  const widths = setup.inputShapes.map((s) => s[s.length - 1]);
  const axis = setup.outputShape.length; // the last axis once the batch axis is in front
  return {
    spec,
    params: [],
    buffers: [],
    outputShape: setup.outputShape,
    forward: (inputs) => ({ output: tf.concat([...inputs], axis) }),
    backward(a: BackwardArgs): BackwardResult {
      const dy = a.dy as tf.Tensor;
      const begin = new Array<number>(dy.rank).fill(0);
      const size = new Array<number>(dy.rank).fill(-1);
      let at = 0;
      const inputGrads = widths.map((w, i) => {
        const from = at;
        at += w;
        if (!a.needInputGrad[i]) return null;
        begin[axis] = from;
        size[axis] = w;
        return tf.slice(dy, begin, size);
      });
      return { inputGrads, paramGrads: [] };
    },
  };
}

/** Inputs agree in every dimension but the first (channels); the output stacks them. */
function analyze(l: ConcatSpec, xs: readonly Shape[]): LayerCosts {
  const first = xs[0];
  for (const s of xs) {
    if (s.length !== first.length || s.slice(1).some((d, i) => d !== first[i + 1])) {
      fail(
        l.name,
        `inputs must agree in every dimension but channels, got ${xs.map((t) => `[${t.join(',')}]`).join(' ')}`,
      );
    }
  }
  const channels = xs.reduce((a, s) => a + s[0], 0);
  return {
    outputShape: [channels, ...first.slice(1)],
    params: 0,
    forwardFlops: 0,
    paramGradFlops: 0,
    inputGradFlops: 0,
  };
}

export const concatKind: LayerDescriptor<ConcatSpec> = {
  kind: 'concat',
  arity: [1, Infinity],
  saves: [],
  hasParams: false,
  view: false,
  analyze,
  density: inheritDensity,
  create: createConcat,
};
