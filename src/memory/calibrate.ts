/**
 * Measures this machine's compute rate on the active tfjs backend: the
 * median throughput of a forward 3x3 convolution (FLOPs counted as in
 * src/nn/shapes.ts, a multiply-add = 2). `--link paper-scaled` scales the
 * paper's PCIe bandwidth by it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { median } from './stats.js';

export interface ComputeRate {
  readonly flopsPerSecond: number;
  readonly runs: number;
}

export function measureComputeRate(runs = 5): ComputeRate {
  const [n, h, w, c, f, k] = [8, 32, 32, 64, 64, 3];
  const flops = 2 * n * h * w * f * c * k * k;
  const x = tf.randomNormal([n, h, w, c], 0, 1, 'float32', 1);
  const filter = tf.randomNormal([k, k, c, f], 0, 0.1, 'float32', 2);
  const rates: number[] = [];
  try {
    for (let r = -1; r < runs; r++) {
      const t0 = performance.now();
      const y = tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same');
      y.dataSync();
      const dt = (performance.now() - t0) / 1e3;
      y.dispose();
      if (r >= 0) rates.push(flops / Math.max(dt, 1e-9));
    }
  } finally {
    x.dispose();
    filter.dispose();
  }
  return { flopsPerSecond: median(rates), runs };
}
