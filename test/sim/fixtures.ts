/** The simulator tests' networks (from test/helpers/models.ts) and synthetic hardware. */
import type { GpuSpec } from '../../src/sim/gpus.js';
import type { LinkSpec } from '../../src/sim/links.js';
import type { Profile } from '../../src/sim/profile.js';

export { chainModel as chain, wideModel as wide } from '../helpers/models.js';

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
