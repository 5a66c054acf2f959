import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  channelSpread,
  countChannelNonzeros,
  meanZeroRun,
  zeroBlockFraction,
  zeroPattern,
  zeroPatternWithChannels,
} from '../../src/study/descriptors.js';

const bitsOf = (xs: number[]): Uint32Array => new Uint32Array(new Float32Array(xs).buffer);

/** Straightforward reference: split into runs with a regex over a 0/1 string. */
function reference(xs: number[]): { runs: number[]; zeroBlocks: number; blocks: number } {
  const bits = bitsOf(xs);
  const s = Array.from(bits, (b) => (b === 0 ? '0' : '1')).join('');
  const runs = (s.match(/0+/g) ?? []).map((r) => r.length);
  let zeroBlocks = 0;
  for (let i = 0; i < s.length; i += 32) if (!s.slice(i, i + 32).includes('1')) zeroBlocks++;
  return { runs, zeroBlocks, blocks: Math.ceil(s.length / 32) };
}

test('zero runs and all-zero blocks on a hand-made buffer', () => {
  // 40 elements: a run of 3 zeros, a non-zero, then 36 zeros (so the second block, 8 elements, is all zero).
  const xs = [0, 0, 0, 1.5, ...new Array(36).fill(0)];
  const p = zeroPattern(bitsOf(xs));
  assert.equal(p.elements, 40);
  assert.equal(p.nonzeros, 1);
  assert.equal(p.zeroRuns, 2);
  assert.equal(meanZeroRun(p), 39 / 2);
  assert.equal(p.blocks, 2);
  assert.equal(p.zeroBlocks, 1);
  assert.equal(zeroBlockFraction(p), 0.5);
});

test('-0.0 and NaN are non-zero, +0.0 is zero', () => {
  const p = zeroPattern(bitsOf([0, -0, NaN, 0]));
  assert.equal(p.nonzeros, 2);
  assert.equal(p.zeroRuns, 2);
});

test('empty and zero-free buffers give zero descriptors', () => {
  const e = zeroPattern(new Uint32Array(0));
  assert.equal(meanZeroRun(e), 0);
  assert.equal(zeroBlockFraction(e), 0);
  const full = zeroPattern(bitsOf([1, 2, 3]));
  assert.equal(meanZeroRun(full), 0);
  assert.equal(zeroBlockFraction(full), 0);
});

test('zeroPattern matches a reference on random buffers', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(0, 0, 0, 1, -0, 2.5), { maxLength: 300 }), (xs) => {
      const p = zeroPattern(bitsOf(xs));
      const r = reference(xs);
      assert.equal(p.zeroRuns, r.runs.length);
      assert.equal(
        p.elements - p.nonzeros,
        r.runs.reduce((s, x) => s + x, 0),
      );
      assert.equal(p.zeroBlocks, r.zeroBlocks);
      assert.equal(p.blocks, r.blocks);
    }),
  );
});

test('per-channel density spread of a channels-last buffer', () => {
  // 4 positions x 3 channels: channel 0 always non-zero, channel 1 half, channel 2 never.
  const xs = [1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 0];
  const counts = new Float64Array(3);
  countChannelNonzeros(bitsOf(xs), 3, counts);
  assert.deepEqual(Array.from(counts), [4, 2, 0]);
  const s = channelSpread(counts, 4);
  assert.equal(s.min, 0);
  assert.equal(s.max, 1);
  assert.equal(s.deadFraction, 1 / 3);
  assert.ok(Math.abs(s.std - Math.sqrt(((1 - 0.5) ** 2 + 0 + (0 - 0.5) ** 2) / 3)) < 1e-12);
});

test('countChannelNonzeros rejects a buffer that is not whole channels', () => {
  assert.throws(() => countChannelNonzeros(new Uint32Array(5), 2, new Float64Array(2)), RangeError);
  assert.throws(() => countChannelNonzeros(new Uint32Array(4), 2, new Float64Array(3)), RangeError);
});

test('the fused NHWC pass gives the same pattern and channel counts as the two separate passes', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 9 }),
      fc.array(fc.constantFrom(0, 0, 1, -0, 3), { maxLength: 40 }),
      (channels, cells) => {
        const xs = Array.from(
          { length: cells.length * channels },
          (_, i) => cells[Math.floor(i / channels)] * ((i % 3) - 1),
        );
        const bits = bitsOf(xs);
        const a = new Float64Array(channels);
        const b = new Float64Array(channels);
        countChannelNonzeros(bits, channels, a);
        assert.deepEqual(zeroPatternWithChannels(bits, channels, b), zeroPattern(bits));
        assert.deepEqual(Array.from(b), Array.from(a));
      },
    ),
  );
  assert.throws(
    () => zeroPatternWithChannels(new Uint32Array(5), 2, new Float64Array(2)),
    RangeError,
  );
});
