import { test } from 'node:test';
import assert from 'node:assert/strict';
import { predictStepMs, type GroupCost } from '../../src/memory/dyn.js';
import type { SavedBuffer } from '../../src/plan/index.js';
import { emptyLayerStats, type StepStats } from '../../src/memory/stats.js';

// Four layers (0 = input), 10 ms of compute each way per real layer; one
// buffer saved by layers 1 and 2: offloaded from layer 1, synchronised at the
// end of layer 2, first needed by layer 2's backward.
function profile(): StepStats {
  const layers = [0, 1, 2, 3].map((i) => {
    const l = emptyLayerStats(i, `l${i}`, i === 0 ? 'input' : 'conv2d');
    l.forwardMs = i === 0 ? 0 : 10;
    l.backwardMs = i === 0 ? 0 : 10;
    return l;
  });
  return { layers } as unknown as StepStats;
}
const g: SavedBuffer = {
  key: 'a:l1',
  kind: 'activation',
  owner: 1,
  ownerName: 'l1',
  names: ['l1'],
  elements: 1,
  savedBy: [1, 2],
  savers: [1, 2],
  firstSave: 1,
  lastSave: 2,
  readers: [2],
  convInput: true,
  modelInput: false,
  lossOutput: false,
};
const costs = (offloadMs: number, prefetchMs: number) =>
  new Map<string, GroupCost>([['a:l1', { offloadMs, prefetchMs, rawBytes: 0 }]]);

test('dyn predicts the schedule: hidden transfers cost nothing', () => {
  assert.equal(predictStepMs(profile(), [g], costs(15, 5), new Set(), 1), 60);
  assert.equal(predictStepMs(profile(), [g], costs(15, 5), new Set(['a:l1']), 1), 60);
});

test('dyn predicts stalls: a long offload holds the layer end, a late prefetch the backward', () => {
  // Offload 25 ms from layer 1's start: layer 2 ends at 25 instead of 20.
  assert.equal(predictStepMs(profile(), [g], costs(25, 5), new Set(['a:l1']), 1), 65);
  // Without prefetching ahead, layer 2's backward waits 5 ms for its data.
  assert.equal(predictStepMs(profile(), [g], costs(15, 5), new Set(['a:l1']), 0), 65);
});
