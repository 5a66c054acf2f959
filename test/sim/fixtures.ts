/** Small hand-made networks and synthetic hardware for the simulator tests. */
import type { ModelSpec } from '../../src/nn/spec.js';
import type { GpuSpec } from '../../src/sim/gpus.js';
import type { LinkSpec } from '../../src/sim/links.js';
import type { Profile } from '../../src/sim/profile.js';

/** data[1,32,32] -> c1 conv(8) -> r1 -> c2 conv(8) -> r2 -> flatten -> d dense(10) -> loss. */
export function chain(): ModelSpec {
  return {
    name: 'chain',
    description: 'test chain',
    numClasses: 10,
    layers: [
      { kind: 'input', name: 'data', inputs: [], shape: [1, 32, 32] },
      {
        kind: 'conv2d',
        name: 'c1',
        inputs: ['data'],
        filters: 8,
        kernel: [3, 3],
        stride: [1, 1],
        pad: [1, 1, 1, 1],
        groups: 1,
        bias: true,
      },
      { kind: 'relu', name: 'r1', inputs: ['c1'] },
      {
        kind: 'conv2d',
        name: 'c2',
        inputs: ['r1'],
        filters: 8,
        kernel: [3, 3],
        stride: [1, 1],
        pad: [1, 1, 1, 1],
        groups: 1,
        bias: true,
      },
      { kind: 'relu', name: 'r2', inputs: ['c2'] },
      { kind: 'flatten', name: 'f', inputs: ['r2'] },
      { kind: 'dense', name: 'd', inputs: ['f'], units: 10, bias: true },
      { kind: 'softmax_ce', name: 'loss', inputs: ['d'] },
    ],
  };
}

/** A GPU with plenty of everything, so only the link and the given times matter. */
export const FAST_GPU: GpuSpec = {
  id: 'test',
  name: 'test GPU',
  fp32Tflops: 1000,
  fp16Tflops: 1000,
  dramGBs: 1000,
  memoryBytes: 1e12,
  memoryPartitions: 4,
  clockGHz: 1,
  defaultLink: 'test',
  source: 'test',
};

/** A link of exactly `bytesPerSec`. */
export function link(bytesPerSec: number): LinkSpec {
  return {
    id: 'test',
    name: 'test link',
    peakGBs: bytesPerSec / 1e9,
    effectiveGBs: bytesPerSec / 1e9,
    latencySeconds: 0,
    source: 'test',
  };
}

/** Fixed layer times (ms) for the chain at batch 1. */
export function chainProfile(): Profile {
  const t = (f: number, b: number) => ({ forwardMs: f, backwardMs: b });
  return {
    batch: 1,
    layers: new Map([
      ['data', t(0, 0)],
      ['c1', t(100, 100)],
      ['r1', t(10, 100)],
      ['c2', t(400, 300)],
      ['r2', t(10, 200)],
      ['f', t(0, 0)],
      ['d', t(50, 50)],
      ['loss', t(1, 100)],
    ]),
  };
}

/** data[64,16,16] -> c conv(64, 3x3) -> r -> flatten -> d dense(10) -> loss: a compute-bound conv. */
export function wide(): ModelSpec {
  return {
    name: 'wide',
    description: 'test conv',
    numClasses: 10,
    layers: [
      { kind: 'input', name: 'data', inputs: [], shape: [64, 16, 16] },
      {
        kind: 'conv2d',
        name: 'c',
        inputs: ['data'],
        filters: 64,
        kernel: [3, 3],
        stride: [1, 1],
        pad: [1, 1, 1, 1],
        groups: 1,
        bias: true,
      },
      { kind: 'relu', name: 'r', inputs: ['c'] },
      { kind: 'flatten', name: 'f', inputs: ['r'] },
      { kind: 'dense', name: 'd', inputs: ['f'], units: 10, bias: true },
      { kind: 'softmax_ce', name: 'loss', inputs: ['d'] },
    ],
  };
}
