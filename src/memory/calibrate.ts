/**
 * Measures this machine's compute rate on the active tfjs backend: the
 * median throughput of a forward 3x3 convolution (FLOPs counted as in
 * src/nn/shapes.ts, a multiply-add = 2). `--link paper-scaled` scales the
 * paper's PCIe bandwidth by it. Each run waits for the result: with
 * `data()`, which every backend has (webgpu has no synchronous readback in
 * Node), or `dataSync()` in the synchronous form.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';
import { median } from './stats.js';

export interface ComputeRate {
  readonly flopsPerSecond: number;
  readonly runs: number;
}

const [N, H, W, C, F, K] = [8, 32, 32, 64, 64, 3];
const FLOPS = 2 * N * H * W * F * C * K * K;

/**
 * `runs` timed convolutions after a warm-up: yields each output for the
 * caller to wait for (and dispose); returns the rate.
 */
function* timedRuns(runs: number): Generator<tf.Tensor, ComputeRate, void> {
  const x = tf.randomNormal([N, H, W, C], 0, 1, 'float32', 1) as tf.Tensor4D;
  const filter = tf.randomNormal([K, K, C, F], 0, 0.1, 'float32', 2) as tf.Tensor4D;
  const rates: number[] = [];
  try {
    for (let r = -1; r < runs; r++) {
      const t0 = performance.now();
      yield tf.conv2d(x, filter, 1, 'same');
      const seconds = (performance.now() - t0) / 1e3;
      if (r >= 0) rates.push(FLOPS / Math.max(seconds, 1e-9));
    }
  } finally {
    tf.dispose([x, filter]);
  }
  return { flopsPerSecond: median(rates), runs };
}

/** The compute rate on the active backend (any backend). */
export async function measureComputeRate(runs = 5): Promise<ComputeRate> {
  const g = timedRuns(runs);
  for (let it = g.next(); ; it = g.next()) {
    if (it.done) return it.value;
    const y = it.value;
    await y.data().finally(() => y.dispose());
  }
}

/**
 * The compute rate, synchronously (backends with dataSync: wasm, cpu);
 * on webgpu an InvalidArgumentError that names the asynchronous way.
 */
export function measureComputeRateSync(runs = 5): ComputeRate {
  if (tf.getBackend() === 'webgpu')
    throw new InvalidArgumentError(
      "link 'paper-scaled' measures the compute rate, which on webgpu takes an asynchronous readback: " +
        'create the manager with createMemoryManager (it measures it), or pass a link object',
    );
  const g = timedRuns(runs);
  for (let it = g.next(); ; it = g.next()) {
    if (it.done) return it.value;
    try {
      it.value.dataSync();
    } finally {
      it.value.dispose();
    }
  }
}
