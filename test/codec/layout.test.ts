import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LAYOUTS, permuteShape, transpose, type Layout } from '../../src/codec/layout.js';
import { sameBytes } from './helpers.js';

const f32 = (...v: number[]): Uint8Array => new Uint8Array(Float32Array.from(v).buffer);

test("nchw -> nhwc puts a pixel's channels together", () => {
  // N=1, C=2, H=1, W=3: channel 0 = 1,2,3; channel 1 = 4,5,6.
  const out = transpose(f32(1, 2, 3, 4, 5, 6), 4, [1, 2, 1, 3], 'nchw', 'nhwc');
  assert.deepEqual([...new Float32Array(out.buffer)], [1, 4, 2, 5, 3, 6]);
  assert.deepEqual(permuteShape([1, 2, 1, 3], 'nchw', 'nhwc'), [1, 1, 3, 2]);
});

test("nchw -> chwn puts a position's batch together", () => {
  // N=2, C=1, H=1, W=2: sample 0 = 1,2; sample 1 = 3,4.
  const out = transpose(f32(1, 2, 3, 4), 4, [2, 1, 1, 2], 'nchw', 'chwn');
  assert.deepEqual([...new Float32Array(out.buffer)], [1, 3, 2, 4]);
  assert.deepEqual(permuteShape([2, 1, 1, 2], 'nchw', 'chwn'), [1, 1, 2, 2]);
});

test('property: transposing there and back gives the original bytes, for any element width', () => {
  const layout = fc.constantFrom<Layout>(...LAYOUTS);
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 4, maxLength: 4 }),
      fc.constantFrom(1, 2, 3, 4, 8),
      layout,
      layout,
      fc.boolean(),
      (shape, eb, from, to, odd) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const buf = new Uint8Array(n * eb + 1);
        const src = odd ? buf.subarray(1) : buf.subarray(0, n * eb);
        for (let i = 0; i < src.length; i++) src[i] = (i * 131 + 7) & 0xff;
        const there = transpose(src, eb, shape, from, to);
        const back = transpose(there, eb, permuteShape(shape, from, to), to, from);
        assert.ok(sameBytes(back, src));
        // Every element moves whole: the multiset of elements is unchanged.
        const elems = (b: Uint8Array): string[] =>
          Array.from({ length: n }, (_, i) =>
            Buffer.from(b.subarray(i * eb, i * eb + eb)).toString('hex'),
          ).sort();
        assert.deepEqual(elems(there), elems(src));
      },
    ),
    { numRuns: 300 },
  );
});

test('transpose writes into a caller buffer and refuses bad arguments', () => {
  const src = f32(1, 2, 3, 4, 5, 6);
  const out = new Uint8Array(24);
  assert.equal(transpose(src, 4, [1, 2, 1, 3], 'nchw', 'nhwc', out).buffer, out.buffer);
  assert.throws(() => transpose(src, 4, [1, 2, 3], 'nchw', 'nhwc'), {
    name: 'InvalidArgumentError',
  });
  assert.throws(() => transpose(src, 4, [1, 2, 2, 3], 'nchw', 'nhwc'), {
    name: 'InvalidArgumentError',
  });
  assert.throws(() => transpose(src, 4, [1, 2, 1, 3], 'nchw', 'hwcn' as Layout), {
    name: 'InvalidArgumentError',
  });
  assert.throws(() => transpose(src, 4, [1, 2, 1, 3], 'nchw', 'nhwc', new Uint8Array(8)), {
    name: 'InvalidArgumentError',
  });
  assert.throws(() => transpose(src, 4, [1, 2, 1, 3], 'nchw', 'nhwc', src), {
    name: 'InvalidArgumentError',
  });
});
