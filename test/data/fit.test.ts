import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitSplit, resizeBilinear, spatialMethod } from '../../src/data/fit.js';
import type { RawSplit } from '../../src/data/raw.js';

const split = (pixels: number[], count = 1): RawSplit => ({
  count,
  pixels: Uint8Array.from(pixels),
  labels: new Uint8Array(count),
});

test('auto pads small images into a slightly larger input and resizes otherwise', () => {
  assert.equal(spatialMethod([1, 28, 28], [1, 28, 28], 'auto'), 'none');
  assert.equal(spatialMethod([1, 28, 28], [3, 32, 32], 'auto'), 'pad');
  assert.equal(spatialMethod([1, 28, 28], [1, 227, 227], 'auto'), 'resize');
  assert.equal(spatialMethod([3, 32, 32], [3, 28, 28], 'auto'), 'resize');
  assert.equal(spatialMethod([3, 32, 32], [3, 28, 28], 'pad'), 'pad');
});

test('padding centres the image in zeros; cropping keeps the centre', () => {
  const img = split([1, 2, 3, 4]); // 2x2 grey
  const padded = fitSplit(img, [1, 2, 2], [1, 4, 4], 'pad');
  assert.deepEqual([...padded.pixels], [0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0]);
  const big = split([...Array(16).keys()]); // 4x4
  assert.deepEqual([...fitSplit(big, [1, 4, 4], [1, 2, 2], 'pad').pixels], [5, 6, 9, 10]);
  // pad one side, crop the other: 2 rows x 4 cols -> 4 rows x 2 cols
  const wide = split([1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(
    [...fitSplit(wide, [1, 2, 4], [1, 4, 2], 'pad').pixels],
    [0, 0, 2, 3, 6, 7, 0, 0],
  );
});

test('bilinear resizing: identity, constants stay constant, half-pixel-centre values', () => {
  const img = split([0, 100, 200, 50]);
  assert.deepEqual([...resizeBilinear(img, 1, 2, 2, 2, 2).pixels], [0, 100, 200, 50]);
  const flat = resizeBilinear(split(Array(9).fill(77)), 1, 3, 3, 7, 5);
  assert.deepEqual([...new Set(flat.pixels)], [77]);
  // 1x2 -> 1x4: sources at -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1)
  const row = resizeBilinear(split([0, 200]), 1, 1, 2, 1, 4);
  assert.deepEqual([...row.pixels], [0, 50, 150, 200]);
  // 4x4 -> 2x2 averages 2x2 blocks (each output sits between four inputs)
  const down = resizeBilinear(
    split([0, 0, 8, 8, 0, 0, 8, 8, 4, 4, 12, 12, 4, 4, 12, 12]),
    1,
    4,
    4,
    2,
    2,
  );
  assert.deepEqual([...down.pixels], [0, 8, 4, 12]);
});

test('channels: grey is replicated into RGB, RGB becomes BT.601 luma; each image is kept apart', () => {
  const two = split([10, 20, 30, 40], 2); // two 1x2 grey images
  const rgb = fitSplit(two, [1, 1, 2], [3, 1, 2]);
  assert.deepEqual([...rgb.pixels], [10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40]);
  const colour = split([255, 0, 0, 0, 255, 0, 0, 0, 255]); // 1x3 RGB
  assert.deepEqual([...fitSplit(colour, [3, 1, 3], [1, 1, 3]).pixels], [76, 150, 29]);
  assert.throws(() => fitSplit(colour, [4, 1, 3], [1, 1, 3]), /4 channels/);
});
