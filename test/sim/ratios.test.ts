import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { densityForZvcRatio } from '../../src/sim/ratio-source.js';
import {
  ratioFromDensity,
  rleRatio,
  zvcBytes,
  zvcRatio,
  zvcRatioLimit,
} from '../../src/sim/ratios.js';

test('ZVC size is 4 ceil(n/32) + E nnz (DESIGN.md section 2)', () => {
  assert.equal(zvcBytes(32, 0, 4), 4);
  assert.equal(zvcBytes(33, 33, 4), 8 + 132);
  assert.equal(zvcBytes(64, 10, 2), 8 + 20);
  assert.equal(zvcRatio(1024, 0, 4), 32);
  assert.equal(zvcRatio(1024, 1, 4), 4096 / (128 + 4096));
});

test('ZVC ratio tends to 32/(1+32d) for fp32 and 16/(1+16d) for 16-bit elements', () => {
  assert.equal(zvcRatioLimit(0, 4), 32);
  assert.equal(zvcRatioLimit(0, 2), 16);
  assert.ok(Math.abs(zvcRatioLimit(0.35, 4) - 32 / (1 + 32 * 0.35)) < 1e-12);
  assert.ok(Math.abs(zvcRatioLimit(0.35, 2) - 16 / (1 + 16 * 0.35)) < 1e-12);
  fc.assert(
    fc.property(
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.constantFrom<2 | 4>(2, 4),
      (d, e) => {
        const exact = zvcRatio(32 * 100000, d, e);
        return Math.abs(exact - zvcRatioLimit(d, e)) / zvcRatioLimit(d, e) < 1e-4;
      },
    ),
  );
});

test('densityForZvcRatio inverts the limit formula (2.6x fp32 is d = 0.353)', () => {
  const d = densityForZvcRatio(2.6, 4);
  assert.ok(Math.abs(d - (32 / 2.6 - 1) / 32) < 1e-12);
  assert.ok(Math.abs(zvcRatioLimit(d, 4) - 2.6) < 1e-12);
  assert.throws(() => densityForZvcRatio(40, 4), /must be in/);
});

test('RLE model: E/(E d + T d (1-d)), decreasing in density, 1 for dense data', () => {
  assert.equal(rleRatio(1, 4), 1);
  assert.ok(Math.abs(rleRatio(0.5, 4) - 4 / (2 + 2 * 0.25)) < 1e-12);
  assert.ok(rleRatio(0, 4) > 1000);
  fc.assert(
    fc.property(
      fc.double({ min: 0.001, max: 0.99, noNaN: true }),
      (d) => rleRatio(d, 4) > rleRatio(Math.min(1, d + 0.01), 4),
    ),
  );
});

test('density outside [0,1] and zlib from density are refused with a clear message', () => {
  assert.throws(() => ratioFromDensity('zvc', 1.5, 100, 4), /density must be a number in \[0, 1\]/);
  assert.throws(() => ratioFromDensity('zvc', Number.NaN, 100, 4), /density/);
  assert.throws(() => ratioFromDensity('zlib', 0.3, 100, 4), /--study FILE or --ratios FILE/);
  assert.equal(ratioFromDensity('none', 0.3, 100, 4), 1);
});
