import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batches, epochOrder, stepsPerEpoch } from '../../src/train/batches.js';
import type { Split } from '../../src/data/dataset.js';

// 10 one-value images whose value is their index; label = index.
const split: Split = {
  count: 10,
  images: Float32Array.from({ length: 10 }, (_, i) => i),
  labels: Uint8Array.from({ length: 10 }, (_, i) => i),
};

test('each epoch is a fresh seeded permutation; the incomplete last batch is dropped', () => {
  assert.equal(stepsPerEpoch(10, 3), 3);
  const got = [...batches(split, 1, 3, 7, 7)];
  assert.equal(got.length, 7);
  assert.deepEqual(
    got.map((b) => [b.epoch, b.indexInEpoch]),
    [
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
      [1, 1],
      [1, 2],
      [2, 0],
    ],
  );
  for (const b of got) {
    assert.equal(b.images.length, 3);
    assert.deepEqual([...b.labels], [...b.images], 'labels travel with their images');
  }
  const epoch0 = got.slice(0, 3).flatMap((b) => [...b.labels]);
  assert.equal(new Set(epoch0).size, 9, 'no image twice within an epoch');
  assert.deepEqual(epoch0, [...epochOrder(10, 7, 0).subarray(0, 9)]);
  const epoch1 = got.slice(3, 6).flatMap((b) => [...b.labels]);
  assert.notDeepEqual(epoch1, epoch0, 'a new order every epoch');
});

test('the same seed gives the same batches; another seed other batches', () => {
  const labels = (seed: number) =>
    [...batches(split, 1, 2, seed, 10)].flatMap((b) => [...b.labels]);
  assert.deepEqual(labels(1), labels(1));
  assert.notDeepEqual(labels(1), labels(2));
});
