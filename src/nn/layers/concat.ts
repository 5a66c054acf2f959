/** Concatenation along channels (the last axis in NHWC and [N,C]). Saves nothing; dX_i = dY's slice. */
import * as tf from '@tensorflow/tfjs';
import type { ConcatSpec } from '../spec.js';
import type { BackwardArgs, BackwardResult, Layer, LayerSetup } from './layer.js';

export function createConcat(spec: ConcatSpec, setup: LayerSetup): Layer {
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
