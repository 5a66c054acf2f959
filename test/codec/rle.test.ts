import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { getCodec } from '../../src/codec/registry.js';
import { rleMaxExpansion, rleMaxSize } from '../../src/codec/rle.js';
import { randomTensor, wordsToBytes } from './helpers.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('golden rle vector (runBits 8, litBits 8): header = zeros + literals * 256, little-endian', () => {
  const src = wordsToBytes([0, 0, 0, 0x11111111, 0x22222222, 0, 0x33333333], 4);
  const enc = getCodec('rle').encode(src, 4);
  assert.equal(hex(enc), '0302' + '11111111' + '22222222' + '0101' + '33333333');
  assert.equal(hex(getCodec('rle').decode(enc, 4, src.length)), hex(src));
});

test('golden rle vector with 4-bit fields: long runs split at 15', () => {
  const codec = getCodec('rle', { runBits: 4, litBits: 4 });
  // 17 zeros, then 1 literal: (15, 0), (2, 1).
  const src = wordsToBytes([...new Array(17).fill(0), 0xabcd], 2);
  assert.equal(hex(codec.encode(src, 2)), '0f' + '12' + 'cdab');
  // 3-byte headers: runBits 20, litBits 4; a trailing zero run alone.
  const c3 = getCodec('rle', { runBits: 20, litBits: 4 });
  assert.equal(hex(c3.encode(wordsToBytes([7, 0, 0], 4), 4)), '000010' + '07000000' + '020000');
});

test('the empty token (0 zeros, 0 literals) is rejected', () => {
  assert.throws(() => getCodec('rle').decode(Uint8Array.of(0, 0), 4, 0), {
    name: 'CorruptDataError',
  });
});

test('rleMaxSize bounds every input of up to 14 words for small field widths (exhaustive)', () => {
  for (const [runBits, litBits] of [
    [2, 6],
    [6, 2],
    [4, 4],
    [1, 7],
    [7, 1],
    [3, 5],
  ]) {
    const codec = getCodec('rle', { runBits, litBits });
    for (let n = 0; n <= 14; n++) {
      for (let bits = 0; bits < 1 << n; bits++) {
        const words = Array.from({ length: n }, (_, i) => (bits >> i) & 1);
        const src = wordsToBytes(words, 2);
        const size = codec.encodedSize(src, 2);
        assert.ok(
          size <= codec.maxEncodedSize(src.length, 2),
          `${runBits}/${litBits} n=${n} bits=${bits}`,
        );
      }
    }
  }
});

test('property: rle encodedSize equals the encoding and stays under maxEncodedSize', () => {
  fc.assert(
    fc.property(
      fc.constantFrom([8, 8], [4, 4], [2, 6], [12, 4], [16, 16], [1, 15]),
      fc.constantFrom(2 as const, 4 as const),
      fc.integer({ min: 0, max: 2000 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.integer(),
      ([runBits, litBits], eb, n, d, seed) => {
        const codec = getCodec('rle', { runBits, litBits });
        const src = randomTensor(n, eb, d, seed);
        const enc = codec.encode(src, eb);
        assert.equal(enc.length, codec.encodedSize(src, eb));
        assert.ok(enc.length <= rleMaxSize(src.length, eb, { runBits, litBits }));
      },
    ),
    { numRuns: 200 },
  );
});

test('rleMaxExpansion is the raw bytes of one maxed zero-run header per header byte', () => {
  assert.equal(rleMaxExpansion({ runBits: 8, litBits: 8 }, 4), (255 * 4) / 2);
  assert.equal(rleMaxExpansion({ runBits: 1, litBits: 7 }, 2), 2);
  // Real streams never beat it.
  const codec = getCodec('rle');
  const zeros = new Uint8Array(4 * 10_000);
  assert.ok(
    zeros.length / codec.encode(zeros, 4).length <= rleMaxExpansion({ runBits: 8, litBits: 8 }, 4),
  );
});
