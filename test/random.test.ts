// src/random.ts is the one home of seeded random numbers. The values below
// were printed by the generators before they moved there (src/nn/prng.ts,
// src/data/random.ts, src/codec/rng.ts): weights, dropout masks, data order
// and sample tensors depend on them bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createRng,
  hashString,
  lowbias32,
  mulberry32,
  permutation,
  randomU32,
  seededRandom,
  splitmix32,
  streamKey,
  uniform01,
} from '../src/random.js';

test('the two 32-bit mixers are different functions under two names', () => {
  assert.equal(lowbias32(0xdeadbeef), 3861431939);
  assert.equal(splitmix32(0xdeadbeef), 3553530007);
});

test('counter-based streams give the pinned values, also past 2^32 draws', () => {
  const k = streamKey(5, hashString('conv1'));
  assert.equal(k, 1617438333);
  assert.equal(randomU32(k, 0), 2328363361);
  assert.equal(randomU32(k, 2 ** 33 + 5), 2486827805);
  assert.equal(uniform01(k, 9), 0.3990921974182129);
});

test('data-order generators give the pinned sequences', () => {
  const r = createRng(42, 3);
  assert.deepEqual([r(), r(), r()], [4277340961, 723430554, 4105426713]);
  assert.deepEqual([...permutation(10, createRng(7))], [8, 0, 7, 4, 1, 3, 2, 5, 6, 9]);
});

test('sample-tensor uniforms are mulberry32 from the seed, scaled to [0, 1)', () => {
  const s = seededRandom(123);
  assert.deepEqual([s(), s(), s()], [0.7872516233474016, 0.1785435655619949, 0.49531551403924823]);
  const m = mulberry32(123);
  const again = seededRandom(123);
  for (let i = 0; i < 100; i++) assert.equal(again(), m() / 2 ** 32);
});
