import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DTYPE_BYTES, type DType } from '../../src/codec/codec.js';
import { LAYOUTS, permuteShape, transpose } from '../../src/codec/layout.js';
import { codecVariants } from './codecs.js';
import {
  SPECIAL16,
  SPECIAL32,
  atOddOffset,
  randomTensor,
  sameBytes,
  wordsToBytes,
} from './helpers.js';

const DTYPES: DType[] = ['float32', 'float16', 'bfloat16'];

/** Named edge-case tensors of `n` elements. */
function cases(eb: 2 | 4): [string, Uint8Array][] {
  const specials = eb === 4 ? SPECIAL32 : SPECIAL16;
  const out: [string, Uint8Array][] = [['empty', new Uint8Array(0)]];
  for (const n of [1, 31, 32, 33, 63, 64, 65, 100, 1000, 4099]) {
    out.push([`${n} zeros`, new Uint8Array(n * eb)]);
    out.push([
      `${n} specials`,
      wordsToBytes(
        Array.from({ length: n }, (_, i) => specials[i % specials.length]),
        eb,
      ),
    ]);
    out.push([
      `${n} no zeros`,
      wordsToBytes(
        Array.from({ length: n }, (_, i) => specials[1 + (i % (specials.length - 1))]),
        eb,
      ),
    ]);
    out.push([`${n} density 0.3`, randomTensor(n, eb, 0.3, n)]);
  }
  out.push([
    'only -0.0 and NaN',
    wordsToBytes(
      eb === 4 ? [0x80000000, 0x7fc00001, 0, 0xffffffff] : [0x8000, 0x7e01, 0, 0xffff],
      eb,
    ),
  ]);
  return out;
}

for (const { name, codec } of codecVariants()) {
  test(`${name}: bit-exact round trips of edge cases for every dtype`, () => {
    for (const dtype of DTYPES) {
      const eb = DTYPE_BYTES[dtype];
      for (const [label, src] of cases(eb)) {
        const enc = codec.encode(src, eb);
        assert.ok(
          enc.length <= codec.maxEncodedSize(src.length, eb),
          `${dtype} ${label}: within max`,
        );
        assert.equal(enc.length, codec.encodedSize(src, eb), `${dtype} ${label}: encodedSize`);
        const dec = codec.decode(enc, eb, src.length);
        assert.ok(sameBytes(dec, src), `${dtype} ${label}: round trip`);
        // Unaligned input and output buffers give the same bytes.
        const enc2 = codec.encode(
          atOddOffset(src),
          eb,
          atOddOffset(new Uint8Array(codec.maxEncodedSize(src.length, eb))),
        );
        assert.ok(sameBytes(enc2, enc), `${dtype} ${label}: unaligned encode`);
        const dec2 = codec.decode(
          atOddOffset(enc),
          eb,
          src.length,
          atOddOffset(new Uint8Array(src.length)),
        );
        assert.ok(sameBytes(dec2, src), `${dtype} ${label}: unaligned decode`);
      }
    }
  });

  test(`${name}: round trips through every layout`, () => {
    const shapes = [
      [2, 3, 5, 7],
      [1, 1, 1, 1],
      [0, 3, 4, 5],
      [3, 16, 4, 4],
      [4, 2, 9, 1],
    ];
    for (const dtype of DTYPES) {
      const eb = DTYPE_BYTES[dtype];
      for (const shape of shapes) {
        const n = shape.reduce((a, b) => a * b, 1);
        const src = randomTensor(n, eb, 0.4, n + eb);
        for (const from of LAYOUTS) {
          for (const to of LAYOUTS) {
            const stored = transpose(src, eb, shape, from, to);
            const enc = codec.encode(stored, eb);
            const back = transpose(
              codec.decode(enc, eb, stored.length),
              eb,
              permuteShape(shape, from, to),
              to,
              from,
            );
            assert.ok(sameBytes(back, src), `${dtype} [${shape}] ${from}->${to}`);
          }
        }
      }
    }
  });

  test(`${name}: encode into a caller buffer and decode into one`, () => {
    const src = randomTensor(777, 4, 0.5, 7);
    const out = new Uint8Array(codec.maxEncodedSize(src.length, 4) + 10).fill(0xee);
    const enc = codec.encode(src, 4, out);
    assert.equal(enc.buffer, out.buffer);
    assert.equal(enc.byteOffset, 0);
    const target = new Uint8Array(src.length + 5).fill(0xaa);
    const dec = codec.decode(enc, 4, src.length, target);
    assert.equal(dec.buffer, target.buffer);
    assert.ok(sameBytes(dec, src));
    assert.equal(target[src.length], 0xaa, 'nothing written past the output');
  });
}

for (const { name, codec } of codecVariants()) {
  test(`${name}: encode and decode give plain Uint8Arrays, whose slice() is a copy`, () => {
    for (const n of [0, 100]) {
      const src = randomTensor(n, 4, 0.5, 7);
      const enc = codec.encode(src, 4);
      const dec = codec.decode(enc, 4, src.length);
      for (const [what, bytes] of [
        ['encode', enc],
        ['decode', dec],
      ] as const) {
        assert.equal(Object.getPrototypeOf(bytes), Uint8Array.prototype, `${what} of ${n}`);
        if (bytes.length === 0) continue;
        const copy = bytes.slice();
        copy[0] ^= 0xff;
        assert.notEqual(copy[0], bytes[0], `${what} of ${n}: slice() shares memory`);
      }
    }
  });
}
