/** Small models and names shared by the seed writers and the worker's readers. */
import * as tf from '@tensorflow/tfjs-core';
import type { Buffer as ModelBuffer, Param } from '../src/nn/param.js';

/** The model name loadStudy is asked for (the seeds hold "net-small"). */
export const STUDY_MODEL = 'net';
/** Layer names a profile may time (loadProfile's layerNames, in one variant). */
export const PROFILE_LAYERS = ['conv1', 'relu1', 'fc1'];

/** The parameters and buffers of a tiny model, as the executor holds them. */
export function checkpointModel(seed: number): { params: Param[]; buffers: ModelBuffer[] } {
  const values = (shape: number[], k: number): tf.Variable => {
    const n = shape.reduce((a, d) => a * d, 1);
    const v = new Float32Array(n).map((_, i) => Math.sin(seed * 7 + k * 13 + i));
    return tf.variable(tf.tensor(v, shape));
  };
  const param = (name: string, shape: number[], k: number): Param => ({
    name,
    value: values(shape, k),
    grad: null,
    decay: name.endsWith('weight'),
    slots: k % 2 === 0 ? [tf.mul(values(shape, k + 100), 0.1)] : [],
  });
  return {
    params: [
      param('conv1/weight', [3, 3, 1, 2], 0),
      param('conv1/bias', [2], 1),
      param('fc1/weight', [8, 3], 2),
      param('fc1/bias', [3], 3),
    ],
    buffers: [
      { name: 'bn1/movingMean', value: values([2], 4) },
      { name: 'bn1/movingVariance', value: values([2], 5) },
    ],
  };
}
