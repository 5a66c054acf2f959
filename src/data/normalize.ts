/**
 * Normalising 8-bit images to float32: per channel, subtract the training
 * split's mean and divide by its standard deviation, so inputs are roughly
 * zero-mean, unit-variance. The test split uses the training statistics.
 */
import type { Split } from './dataset.js';
import type { RawSplit } from './raw.js';

export interface ChannelStats {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** Per-channel mean and standard deviation of a split's pixels (0..255 scale). */
export function channelStats(split: RawSplit, channels: number): ChannelStats {
  const hist = new Float64Array(channels * 256);
  const px = split.pixels;
  for (let i = 0; i < px.length; i += channels) {
    for (let k = 0; k < channels; k++) hist[k * 256 + px[i + k]]++;
  }
  const mean: number[] = [];
  const std: number[] = [];
  for (let k = 0; k < channels; k++) {
    let n = 0;
    let s = 0;
    let s2 = 0;
    for (let v = 0; v < 256; v++) {
      const h = hist[k * 256 + v];
      n += h;
      s += h * v;
      s2 += h * v * v;
    }
    const m = n > 0 ? s / n : 0;
    const variance = n > 0 ? s2 / n - m * m : 0;
    mean.push(m);
    // A constant channel keeps unit scale rather than dividing by zero.
    std.push(variance > 1e-6 ? Math.sqrt(variance) : 1);
  }
  return { mean, std };
}

/** (pixel - mean[c]) / std[c] as float32, via a 256-entry table per channel. */
export function normalizeSplit(split: RawSplit, stats: ChannelStats): Split {
  const channels = stats.mean.length;
  const table = new Float32Array(channels * 256);
  for (let k = 0; k < channels; k++) {
    for (let v = 0; v < 256; v++) table[k * 256 + v] = (v - stats.mean[k]) / stats.std[k];
  }
  const px = split.pixels;
  const images = new Float32Array(px.length);
  for (let i = 0; i < px.length; i += channels) {
    for (let k = 0; k < channels; k++) images[i + k] = table[k * 256 + px[i + k]];
  }
  return { count: split.count, images, labels: split.labels };
}
