/**
 * Runs a few real training steps (executor + SGD) on a seeded synthetic
 * batch, optionally through a memory manager, for the losslessness, budget
 * and fault tests.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Executor } from '../../src/nn/executor.js';
import type { ModelSpec } from '../../src/nn/spec.js';
import type { SavedTensorStore } from '../../src/nn/store.js';
import { Sgd } from '../../src/train/sgd.js';

export interface RunResult {
  readonly hash: string;
  /**
   * The executor's peak device bytes over all steps (its lifetime peak, which
   * also sees the sample inside each layer's backward).
   */
  readonly peak: number;
  readonly losses: number[];
}

export async function runSteps(
  spec: ModelSpec,
  o: {
    batch: number;
    steps: number;
    seed?: number;
    store?: SavedTensorStore;
    deviceLimitBytes?: number;
  },
): Promise<RunResult> {
  const seed = o.seed ?? 7;
  const input = spec.layers[0];
  if (input.kind !== 'input') throw new Error('no input layer');
  const [c, h, w] = input.shape;
  const exec = Executor.create(spec, {
    seed,
    store: o.store,
    deviceLimitBytes: o.deviceLimitBytes,
  });
  const sgd = new Sgd({ lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
  const losses: number[] = [];
  let peak = 0;
  try {
    for (let step = 0; step < o.steps; step++) {
      const x = tf.randomNormal([o.batch, h, w, c], 0, 1, 'float32', seed + step) as tf.Tensor4D;
      const labels = new Int32Array(o.batch).map((_, i) => (i * 7 + step) % spec.numClasses);
      try {
        const r = await exec.trainStep(x, labels, step);
        losses.push(r.loss);
        peak = Math.max(peak, r.peakDeviceBytes);
      } finally {
        x.dispose();
      }
      sgd.step(exec.params);
    }
    return { hash: exec.weightsHash(), peak: Math.max(peak, exec.peakDeviceBytes), losses };
  } finally {
    sgd.dispose();
    exec.dispose();
  }
}
