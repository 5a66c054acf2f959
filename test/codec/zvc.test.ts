import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createZvcCodec } from '../../src/codec/zvc.js';
import { zvcMaxSize, zvcSize } from '../../src/codec/zvc-format.js';
import { ZvcWasm } from '../../src/codec/zvc-wasm.js';
import { wasmApi } from '../../src/codec/wasm-api.js';
import { countNonZero, countNonZeroTs, density } from '../../src/codec/nonzero.js';
import { randomTensor, sameBytes, wordsToBytes } from './helpers.js';

const wasm = createZvcCodec('wasm');
const ts = createZvcCodec('ts');

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('the WebAssembly kernels are available here (npm run build built them)', () => {
  assert.equal(wasm.impl, 'wasm');
  assert.equal(ts.impl, 'ts');
});

test('golden float32 vector: masks little-endian, bit 0 first, -0.0 and NaN kept', () => {
  // 33 elements: 1.0, 0, 0, -0.0, NaN(payload 1), 27 zeros, then 2.0 in a partial block.
  const words = [0x3f800000, 0, 0, 0x80000000, 0x7fc00001, ...new Array(27).fill(0), 0x40000000];
  const src = wordsToBytes(words, 4);
  const expected =
    '19000000' + // mask: bits 0, 3, 4
    '0000803f' + // 1.0
    '00000080' + // -0.0
    '0100c07f' + // NaN with payload
    '01000000' + // partial block mask: bit 0
    '00000040'; // 2.0
  for (const c of [wasm, ts]) {
    assert.equal(hex(c.encode(src, 4)), expected, c.impl);
    assert.ok(sameBytes(c.decode(Buffer.from(expected, 'hex'), 4, src.length), src));
  }
  assert.equal(expected.length / 2, zvcSize(33, 4, 4));
});

test('golden 16-bit vector: 4-byte masks, 2-byte non-zeros', () => {
  const words = [0x3c00, 0, 0x8000, ...new Array(29).fill(0), 0, 0x7e00, 0];
  const src = wordsToBytes(words, 2);
  const expected = '05000000' + '003c' + '0080' + '02000000' + '007e';
  for (const c of [wasm, ts]) {
    assert.equal(hex(c.encode(src, 2)), expected, c.impl);
    assert.ok(sameBytes(c.decode(Buffer.from(expected, 'hex'), 2, src.length), src));
  }
  assert.equal(expected.length / 2, zvcSize(35, 3, 2));
});

test('a full block of non-zeros is mask 0xffffffff then the 32 elements', () => {
  const words = Array.from({ length: 32 }, (_, i) => i + 1);
  const enc = wasm.encode(wordsToBytes(words, 4), 4);
  assert.equal(hex(enc.subarray(0, 4)), 'ffffffff');
  assert.ok(sameBytes(enc.subarray(4), wordsToBytes(words, 4)));
});

const tensorArb = fc.record({
  eb: fc.constantFrom(2 as const, 4 as const),
  n: fc.integer({ min: 0, max: 3000 }),
  density: fc.oneof(fc.constantFrom(0, 1), fc.double({ min: 0, max: 1, noNaN: true })),
  seed: fc.integer(),
});

test('property: WebAssembly and TypeScript give identical bytes, and both round-trip', () => {
  fc.assert(
    fc.property(tensorArb, ({ eb, n, density: d, seed }) => {
      const src = randomTensor(n, eb, d, seed);
      const a = wasm.encode(src, eb);
      const b = ts.encode(src, eb);
      assert.ok(sameBytes(a, b));
      assert.ok(sameBytes(wasm.decode(a, eb, src.length), src));
      assert.ok(sameBytes(ts.decode(a, eb, src.length), src));
    }),
    { numRuns: 300 },
  );
});

test('property: size is 4*ceil(n/32) + eb*nnz exactly, and encodedSize agrees', () => {
  fc.assert(
    fc.property(tensorArb, ({ eb, n, density: d, seed }) => {
      const src = randomTensor(n, eb, d, seed);
      const nnz = countNonZeroTs(src, eb);
      const expected = 4 * Math.ceil(n / 32) + eb * nnz;
      assert.equal(wasm.encode(src, eb).length, expected);
      assert.equal(wasm.encodedSize(src, eb), expected);
      assert.equal(ts.encodedSize(src, eb), expected);
      assert.equal(zvcMaxSize(n, eb), 4 * Math.ceil(n / 32) + eb * n);
    }),
    { numRuns: 200 },
  );
});

test('large inputs span several kernel steps and still match TypeScript', () => {
  for (const eb of [4, 2] as const) {
    const src = randomTensor(300_001, eb, 0.35, 99);
    const a = wasm.encode(src, eb);
    assert.ok(sameBytes(a, ts.encode(src, eb)));
    assert.ok(sameBytes(wasm.decode(a, eb, src.length), src));
  }
});

test('countNonZero: WebAssembly, TypeScript and unaligned views agree; -0.0 and NaN count', () => {
  fc.assert(
    fc.property(tensorArb, ({ eb, n, density: d, seed }) => {
      const src = randomTensor(n, eb, d, seed);
      const expected = countNonZeroTs(src, eb);
      assert.equal(countNonZero(src, eb, 'wasm'), expected);
      assert.equal(countNonZero(src, eb, 'ts'), expected);
      const odd = new Uint8Array(src.length + 1).subarray(1);
      odd.set(src);
      assert.equal(countNonZero(odd, eb, 'ts'), expected);
    }),
    { numRuns: 150 },
  );
  assert.equal(countNonZero(Float32Array.of(0, -0, NaN, 1), 4), 3);
  assert.equal(density(Float32Array.of(0, -0, 0, 1), 4), 0.5);
  assert.equal(density(new Float32Array(0), 4), 0);
});

test('pointer API runs in a foreign memory with caller-placed tables', () => {
  assert.ok(wasmApi);
  const memory = new wasmApi.Memory({ initial: 4 });
  const tables = 1000; // anywhere the caller reserved tablesBytes
  const z = ZvcWasm.create({ memory, tables });
  assert.ok(z);
  const heap = new Uint8Array(memory.buffer);
  const src = randomTensor(1000, 4, 0.3, 5);
  const srcAt = 20_000;
  const dstAt = 40_000;
  const backAt = 80_000;
  heap.set(src, srcAt);
  heap.fill(0x55, dstAt + zvcMaxSize(1000, 4), dstAt + zvcMaxSize(1000, 4) + 64);
  const len = z.encodeAt(srcAt, 1000, 4, dstAt);
  assert.ok(sameBytes(heap.subarray(dstAt, dstAt + len), ts.encode(src, 4)));
  assert.ok(
    heap
      .subarray(dstAt + zvcMaxSize(1000, 4), dstAt + zvcMaxSize(1000, 4) + 64)
      .every((b) => b === 0x55),
    'no write past the maximum size',
  );
  z.decodeAt(dstAt, len, 1000, 4, backAt);
  assert.ok(sameBytes(heap.subarray(backAt, backAt + src.length), src));
  assert.equal(z.countNonZeroAt(srcAt, 1000, 4), countNonZeroTs(src, 4));
  assert.throws(() => z.decodeAt(dstAt, len - 4, 1000, 4, backAt), { name: 'CorruptDataError' });
  assert.throws(() => ZvcWasm.create({ memory }), { name: 'InvalidArgumentError' });
});

test('CDMA_ZVC_IMPL=ts forces the TypeScript path; a bad value is a typed error', () => {
  const saved = process.env.CDMA_ZVC_IMPL;
  try {
    process.env.CDMA_ZVC_IMPL = 'ts';
    assert.equal(createZvcCodec().impl, 'ts');
    process.env.CDMA_ZVC_IMPL = 'fast';
    assert.throws(() => createZvcCodec(), { name: 'InvalidArgumentError' });
  } finally {
    if (saved === undefined) delete process.env.CDMA_ZVC_IMPL;
    else process.env.CDMA_ZVC_IMPL = saved;
  }
});
