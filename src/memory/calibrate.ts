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

/** The convolution's operands, and how to run it once (the caller waits for and disposes its output). */
function convolution(): { run: () => tf.Tensor; dispose: () => void } {
  const x = tf.randomNormal([N, H, W, C], 0, 1, 'float32', 1) as tf.Tensor4D;
  const filter = tf.randomNormal([K, K, C, F], 0, 0.1, 'float32', 2) as tf.Tensor4D;
  return {
    run: () => tf.conv2d(x, filter, 1, 'same'),
    dispose: () => tf.dispose([x, filter]),
  };
}

function rateOf(seconds: number[], runs: number): ComputeRate {
  return { flopsPerSecond: median(seconds.map((s) => FLOPS / Math.max(s, 1e-9))), runs };
}

/** The compute rate on the active backend (any backend): `runs` timed convolutions after a warm-up. */
export async function measureComputeRate(runs = 5): Promise<ComputeRate> {
  const conv = convolution();
  const seconds: number[] = [];
  try {
    for (let r = -1; r < runs; r++) {
      const t0 = performance.now();
      const y = conv.run();
      await y.data().finally(() => y.dispose());
      if (r >= 0) seconds.push((performance.now() - t0) / 1e3);
    }
  } finally {
    conv.dispose();
  }
  return rateOf(seconds, runs);
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
  const conv = convolution();
  const seconds: number[] = [];
  try {
    for (let r = -1; r < runs; r++) {
      const t0 = performance.now();
      const y = conv.run();
      try {
        y.dataSync();
      } finally {
        y.dispose();
      }
      if (r >= 0) seconds.push((performance.now() - t0) / 1e3);
    }
  } finally {
    conv.dispose();
  }
  return rateOf(seconds, runs);
}
