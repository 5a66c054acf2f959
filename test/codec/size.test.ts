import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DTYPE_BYTES, type DType } from '../../src/codec/codec.js';
import { LAYOUTS, transpose } from '../../src/codec/layout.js';
import { CODEC_IDS, getCodec } from '../../src/codec/registry.js';
import { compressedSize, compressionRatio } from '../../src/codec/size.js';
import { reluSample } from '../../src/codec/sample.js';
import { countNonZeroTs } from '../../src/codec/nonzero.js';
import { randomTensor } from './helpers.js';

test('property: compressedSize equals the encoded length for every codec, dtype and codec layout', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...CODEC_IDS),
      fc.constantFrom<DType>('float32', 'float16', 'bfloat16'),
      fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 4, maxLength: 4 }),
      fc.constantFrom(...LAYOUTS),
      fc.constantFrom(...LAYOUTS),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.integer(),
      (codec, dtype, shape, layout, codecLayout, d, seed) => {
        const eb = DTYPE_BYTES[dtype];
        const n = shape.reduce((a, b) => a * b, 1);
        const data = randomTensor(n, eb, d, seed);
        const stored = transpose(data, eb, shape, layout, codecLayout);
        const size = compressedSize(data, { codec, dtype, shape, layout, codecLayout });
        assert.equal(size, getCodec(codec).encode(stored, eb).length);
      },
    ),
    { numRuns: 300 },
  );
});

test('zvc size needs no encode and follows the formula for typed arrays', () => {
  const x = reluSample({ shape: [2, 8, 14, 14], density: 0.3, pattern: 'clustered', seed: 4 });
  const nnz = countNonZeroTs(new Uint8Array(x.buffer), 4);
  assert.equal(
    compressedSize(x, { codec: 'zvc', dtype: 'float32' }),
    4 * Math.ceil(x.length / 32) + 4 * nnz,
  );
  assert.equal(compressionRatio(x, { codec: 'none', dtype: 'float32' }), 1);
  assert.equal(compressionRatio(new Float32Array(0), { codec: 'zvc', dtype: 'float32' }), 1);
  const h = new Uint16Array(70).fill(0x3c00, 0, 10);
  assert.equal(compressedSize(h, { codec: 'zvc', dtype: 'float16' }), 4 * 3 + 2 * 10);
});

test('compressedSize refuses what it cannot size', () => {
  const x = new Float32Array(24);
  assert.throws(() => compressedSize(x, { codec: 'lz4' as 'zvc', dtype: 'float32' }), {
    name: 'InvalidArgumentError',
  });
  assert.throws(() => compressedSize(new Uint8Array(3), { codec: 'zvc', dtype: 'float16' }), {
    name: 'InvalidArgumentError',
  });
  assert.throws(
    () => compressedSize(x, { codec: 'rle', dtype: 'float32', codecLayout: 'nhwc' }),
    /needs the shape/,
  );
});

test('reluSample: seeded, non-negative, at the requested density per pattern', () => {
  for (const pattern of ['iid', 'clustered'] as const) {
    const a = reluSample({ shape: [2, 4, 56, 56], density: 0.35, pattern, seed: 11 });
    const b = reluSample({ shape: [2, 4, 56, 56], density: 0.35, pattern, seed: 11 });
    assert.deepEqual(a, b);
    assert.ok(a.every((v) => v >= 0 && Number.isFinite(v)));
    const dens = countNonZeroTs(new Uint8Array(a.buffer), 4) / a.length;
    assert.ok(Math.abs(dens - 0.35) < 0.02, `${pattern} density ${dens}`);
  }
  // Clustered zeros make longer runs, which RLE exploits and ZVC does not care about.
  const iid = reluSample({ shape: [1, 8, 56, 56], density: 0.2, pattern: 'iid', seed: 1 });
  const clu = reluSample({ shape: [1, 8, 56, 56], density: 0.2, pattern: 'clustered', seed: 1 });
  const rle = (x: Float32Array): number => compressedSize(x, { codec: 'rle', dtype: 'float32' });
  assert.ok(rle(clu) < rle(iid));
  assert.equal(countNonZeroTs(new Uint8Array(randomTensor(10, 4, 0, 1).buffer), 4), 0);
});
