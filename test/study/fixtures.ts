/** Synthetic study results for tests of the results file and the report. */
import { ModelAccumulator, type TensorMeasurement } from '../../src/study/aggregate.js';
import {
  RESULTS_FORMAT,
  RESULTS_VERSION,
  type ModelResult,
  type RatioTable,
  type StudyResults,
} from '../../src/study/results.js';

export function ratioTable(zvc: number, rle: number, zlib: number): RatioTable {
  const l = (x: number) => ({ nchw: x, nhwc: x * 0.9, chwn: x * 0.8 });
  return { zvc: { nchw: zvc, nhwc: zvc, chwn: zvc }, rle: l(rle), zlib: l(zlib) };
}

export function measurement(
  layer: string,
  density: number,
  shape: number[] = [8, 6, 6],
): TensorMeasurement {
  const zvc = 32 / (1 + 32 * density);
  return {
    layer,
    kind: layer.replace(/\d+$/, ''),
    role: 'output',
    shape,
    savedFor: [`${layer}:output`],
    density,
    ratios: ratioTable(zvc, zvc * 0.8, zvc * 1.3),
    zeroRunMean: { nchw: 3, nhwc: 2, chwn: 4 },
    zeroBlockFraction: { nchw: 0.1, nhwc: 0.05, chwn: 0.2 },
    channelDensityStd: 0.1,
    deadChannelFraction: 0,
  };
}

/** A model with two layers recorded at `steps`, density falling over training. */
export function syntheticModel(name: string, steps: number[]): ModelResult {
  const acc = new ModelAccumulator(name, name.replace(/-small$/, ''), steps[steps.length - 1] + 1);
  steps.forEach((step, i) => {
    const t = i / Math.max(1, steps.length - 1);
    acc.addStep({
      step,
      loss: 2 - t,
      accuracy: null,
      tensors: [measurement('relu1', 0.6 - 0.2 * t), measurement('relu2', 0.3 - 0.1 * t, [16])],
    });
  });
  acc.addTime(10, 0.2);
  return acc.result(steps[steps.length - 1] + 1, 'complete');
}

export function syntheticResults(models: ModelResult[]): StudyResults {
  return {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    generator: 'test',
    config: {
      mode: 'training',
      dataset: 'mnist',
      every: 10,
      batch: 8,
      seed: 1,
      steps: 31,
      lr: 0.01,
      lrSchedule: 'constant',
      warmup: 0,
      momentum: 0.9,
      weightDecay: 0.0005,
      zlib: { level: 6, sampleImages: 8 },
      rle: { runBits: 8 },
      backend: 'wasm',
    },
    models,
  };
}
