import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channelStats, normalizeSplit } from '../../src/data/normalize.js';
import { prepareDataset } from '../../src/data/prepare.js';
import type { RawDataset } from '../../src/data/raw.js';

test('per-channel statistics and normalisation to zero mean, unit variance', () => {
  // 2 pixels x 2 channels: channel 0 = {0, 10}, channel 1 = {5, 5}
  const raw = { count: 1, pixels: Uint8Array.from([0, 5, 10, 5]), labels: new Uint8Array(1) };
  const s = channelStats(raw, 2);
  assert.deepEqual(s.mean, [5, 5]);
  assert.deepEqual(s.std, [5, 1], 'a constant channel keeps unit scale');
  assert.deepEqual([...normalizeSplit(raw, s).images], [-1, 0, 1, 0]);
});

test('prepareDataset fits both splits and normalises the test split with training statistics', () => {
  const raw: RawDataset = {
    name: 'toy',
    shape: [1, 1, 2],
    numClasses: 2,
    train: { count: 2, pixels: Uint8Array.from([0, 100, 100, 0]), labels: Uint8Array.from([0, 1]) },
    test: { count: 1, pixels: Uint8Array.from([150, 150]), labels: Uint8Array.from([1]) },
  };
  const d = prepareDataset(raw, { shape: [3, 1, 2] });
  assert.deepEqual(d.shape, [3, 1, 2]);
  assert.equal(d.train.images.length, 12);
  assert.deepEqual([...d.train.images.subarray(0, 6)], [-1, -1, -1, 1, 1, 1]);
  assert.deepEqual([...new Set(d.test.images)], [2]);
  assert.deepEqual([...d.test.labels], [1]);
});
