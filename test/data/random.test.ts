import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng, permutation, randomBelow } from '../../src/random.js';

test('seeded permutations are permutations, reproducible, and differ across seeds and streams', () => {
  const a = permutation(1000, createRng(42));
  assert.deepEqual(
    [...a].sort((x, y) => x - y),
    [...Array(1000).keys()],
  );
  assert.deepEqual(permutation(1000, createRng(42)), a);
  assert.notDeepEqual(permutation(1000, createRng(43)), a);
  assert.notDeepEqual(permutation(1000, createRng(42, 1)), a);
});

test('randomBelow is in range and roughly uniform', () => {
  const rng = createRng(7);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60000; i++) counts[randomBelow(rng, 6)]++;
  for (const c of counts) assert.ok(c > 9500 && c < 10500, `${counts}`);
});
