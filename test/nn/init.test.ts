/** Seeded initialisation and the counter-based generator behind it and dropout. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dropoutMask } from '../../src/nn/layers/dropout.js';
import { initValues } from '../../src/nn/init.js';
import { hashString, randomU32, streamKey, uniform01 } from '../../src/nn/prng.js';

function stats(v: Float32Array): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let q = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) {
    s += x;
    q += x * x;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  const mean = s / v.length;
  return { mean, std: Math.sqrt(q / v.length - mean * mean), min, max };
}

describe('initialisation', () => {
  test('He normal has std sqrt(2/fanIn) and mean 0', () => {
    const v = initValues(1, { name: 'c/weight', kind: 'he', size: 40000, fanIn: 50 });
    const s = stats(v);
    assert.ok(Math.abs(s.std - Math.sqrt(2 / 50)) < 0.01 * Math.sqrt(2 / 50) * 3, `std ${s.std}`);
    assert.ok(Math.abs(s.mean) < 0.005, `mean ${s.mean}`);
  });

  test('Glorot uniform stays within +-sqrt(6/(fanIn+fanOut)) and fills it', () => {
    const limit = Math.sqrt(6 / (30 + 10));
    const s = stats(
      initValues(1, { name: 'd/weight', kind: 'glorot', size: 30000, fanIn: 30, fanOut: 10 }),
    );
    assert.ok(s.min >= -limit && s.max < limit);
    assert.ok(s.min < -0.99 * limit && s.max > 0.99 * limit);
    assert.ok(Math.abs(s.std - limit / Math.sqrt(3)) < 0.01, `std ${s.std}`);
  });

  test('biases 0, batchnorm gamma 1', () => {
    assert.ok(initValues(1, { name: 'b', kind: 'zeros', size: 5 }).every((x) => x === 0));
    assert.ok(initValues(1, { name: 'g', kind: 'ones', size: 5 }).every((x) => x === 1));
  });

  test('same seed and name give the same values; another seed or name different ones', () => {
    const r = (seed: number, name: string) =>
      initValues(seed, { name, kind: 'he', size: 64, fanIn: 9 });
    assert.deepEqual(r(7, 'a/weight'), r(7, 'a/weight'));
    assert.notDeepEqual(r(7, 'a/weight'), r(8, 'a/weight'));
    assert.notDeepEqual(r(7, 'a/weight'), r(7, 'b/weight'));
  });
});

describe('counter-based generator', () => {
  test('uniforms are spread evenly and neighbouring streams are unrelated', () => {
    const n = 100000;
    const bins = new Array<number>(10).fill(0);
    const a = streamKey(1, hashString('x'));
    const b = streamKey(2, hashString('x'));
    let same = 0;
    for (let i = 0; i < n; i++) {
      const u = uniform01(a, i);
      assert.ok(u >= 0 && u < 1);
      bins[Math.floor(u * 10)]++;
      if (randomU32(a, i) === randomU32(b, i)) same++;
    }
    for (const c of bins) assert.ok(Math.abs(c - n / 10) < 600, `bin count ${c}`);
    assert.equal(same, 0);
  });

  test('dropout masks: the requested rate, scaled keep values, a fresh mask per step', () => {
    const m = dropoutMask(3, 'drop6', 0, 50000, 0.3);
    const kept = m.filter((x) => x !== 0);
    assert.ok(Math.abs(kept.length / m.length - 0.7) < 0.01);
    assert.ok(kept.every((x) => Math.abs(x - 1 / 0.7) < 1e-6));
    assert.deepEqual(dropoutMask(3, 'drop6', 0, 1000, 0.3), m.slice(0, 1000));
    assert.notDeepEqual(dropoutMask(3, 'drop6', 1, 1000, 0.3), m.slice(0, 1000));
    assert.notDeepEqual(dropoutMask(3, 'drop7', 0, 1000, 0.3), m.slice(0, 1000));
  });
});
