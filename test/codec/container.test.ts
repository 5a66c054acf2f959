import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InvalidArgumentError } from '../../src/errors.js';
import type { CodecId, CodecParams } from '../../src/codec/codec.js';
import { crc32, crc32Fallback } from '../../src/codec/container/crc32.js';
import {
  decodeHeader,
  encodeHeader,
  makeHeader,
  type HeaderFields,
} from '../../src/codec/container/format.js';
import { decodeAllInto, decodeChunk, parseContainer } from '../../src/codec/container/reader.js';
import {
  maxContainerSize,
  writeContainer,
  writeContainerInto,
} from '../../src/codec/container/writer.js';
import { assertCorrupt, identityCodec, resign, resignFrame } from './container-helpers.js';

const resolve = (_id: CodecId, _p: CodecParams) => identityCodec;

function fields(elements: number, over: Partial<HeaderFields> = {}): HeaderFields {
  return {
    codec: 'none',
    params: {},
    dtype: 'float32',
    layout: 'flat',
    codecLayout: 'flat',
    shape: [elements],
    elements,
    chunkElements: 32,
    ...over,
  };
}

function build(
  elements: number,
  over: Partial<HeaderFields> = {},
): { raw: Uint8Array; bytes: Uint8Array } {
  const h = makeHeader(fields(elements, over));
  const raw = new Uint8Array(elements * (h.dtype === 'float32' ? 4 : 2)).map(
    (_, i) => (i * 37 + 11) & 0xff,
  );
  return { raw, bytes: writeContainer(h, identityCodec, raw) };
}

function roundTrip(bytes: Uint8Array): Uint8Array {
  const c = parseContainer(bytes, resolve);
  const out = new Uint8Array(c.rawBytes);
  decodeAllInto(c, out);
  return out;
}

test('CRC-32 matches the standard check value and the fallback matches node:zlib', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32Fallback(Buffer.from('123456789')), 0xcbf43926);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 50 }), (a, b) => {
      assert.equal(crc32Fallback(b, crc32Fallback(a)), crc32(b, crc32(a)));
      assert.equal(crc32Fallback(Uint8Array.from([...a, ...b])), crc32(b, crc32(a)));
    }),
  );
});

test('round trips any element count and chunk size, header fields intact', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 400 }),
      fc.integer({ min: 1, max: 5 }),
      fc.constantFrom('float32' as const, 'float16' as const, 'bfloat16' as const),
      (n, k, dtype) => {
        const { raw, bytes } = build(n, { chunkElements: 32 * k, dtype, params: { b: 2, a: 1.5 } });
        assert.deepEqual(roundTrip(bytes), raw);
        const h = decodeHeader(bytes);
        assert.equal(h.elements, n);
        assert.equal(h.chunkCount, Math.ceil(n / (32 * k)));
        assert.deepEqual(h.params, { a: 1.5, b: 2 });
        assert.equal(bytes.length, h.headerBytes + 8 * h.chunkCount + raw.length);
      },
    ),
  );
});

test('chunks decode on their own, in any order', () => {
  const { raw, bytes } = build(300, { chunkElements: 64 });
  const c = parseContainer(bytes, resolve);
  for (const i of [4, 0, 2, 1, 3]) {
    const len = Math.min(256, raw.length - i * 256);
    assert.deepEqual(decodeChunk(c, i), raw.subarray(i * 256, i * 256 + len));
  }
  assert.throws(() => decodeChunk(c, 5), InvalidArgumentError);
});

test('writeContainerInto uses a buffer of exactly the needed size and refuses a smaller one', () => {
  const h = makeHeader(fields(100));
  const raw = new Uint8Array(400).fill(7);
  const exact = writeContainer(h, identityCodec, raw).length;
  assert.equal(maxContainerSize(h, identityCodec), exact);
  const out = new Uint8Array(exact);
  assert.equal(writeContainerInto(h, identityCodec, raw, out), exact);
  assert.throws(
    () => writeContainerInto(h, identityCodec, raw, new Uint8Array(exact - 1)),
    InvalidArgumentError,
  );
  assert.throws(
    () => writeContainerInto(h, identityCodec, raw.subarray(4), out),
    InvalidArgumentError,
  );
});

test('makeHeader rejects inconsistent fields', () => {
  const bad: Partial<HeaderFields>[] = [
    { shape: [3, 3] },
    { chunkElements: 48 },
    { chunkElements: 0 },
    { chunkElements: 2 ** 29 },
    { layout: 'nchw', codecLayout: 'nchw' },
    { layout: 'nchw', codecLayout: 'flat', shape: [1, 1, 2, 5] },
    { params: { 'bad name': 1 } },
    { params: { x: NaN } },
    { shape: new Array(33).fill(1).map((v, i) => (i === 0 ? 10 : v)) },
  ];
  for (const over of bad)
    assert.throws(() => makeHeader(fields(10, over)), InvalidArgumentError, JSON.stringify(over));
  assert.throws(() => makeHeader(fields(2 ** 40, { shape: [2 ** 40] })), InvalidArgumentError);
});

test('every truncation ends in a named "truncated" error', () => {
  for (const n of [0, 1, 33, 100]) {
    const { bytes } = build(n, { params: { level: 3 } });
    for (let len = 0; len < bytes.length; len++) {
      const e = assertCorrupt(() => roundTrip(bytes.subarray(0, len)));
      if (len >= 4) assert.equal(e.reason, 'truncated', `length ${len}: ${e.message}`);
    }
  }
});

test('random bit flips always end in the typed error', () => {
  const { bytes } = build(100, { params: { level: 3 }, shape: [4, 25] });
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.nat(bytes.length * 8 - 1), { minLength: 1, maxLength: 3 }),
      (bits) => {
        const bad = bytes.slice();
        for (const b of bits) bad[b >> 3] ^= 1 << (b & 7);
        assertCorrupt(() => roundTrip(bad));
      },
    ),
    { numRuns: 3000 },
  );
});

test('damage is named: magic, version, header checksum, chunk checksum, trailing bytes', () => {
  const { bytes } = build(100);
  const edit = (at: number, v: number): Uint8Array => {
    const b = bytes.slice();
    b[at] = v;
    return b;
  };
  assertCorrupt(() => roundTrip(edit(0, 0x58)), 'bad-magic', /bad magic/);
  assertCorrupt(() => roundTrip(edit(4, 2)), 'unsupported-version', /unsupported format version 2/);
  assertCorrupt(() => roundTrip(edit(20, 1)), 'header-checksum', /header checksum mismatch/);
  const h = decodeHeader(bytes);
  const frame2 = h.headerBytes + 2 * (8 + 128);
  const e = assertCorrupt(
    () => roundTrip(edit(frame2 + 20, bytes[frame2 + 20] ^ 1)),
    'chunk-checksum',
    /chunk 2 checksum/,
  );
  assert.equal(e.chunk, 2);
  assertCorrupt(
    () => roundTrip(Uint8Array.from([...bytes, 0])),
    'trailing-bytes',
    /1 unexpected bytes/,
  );
  assertCorrupt(() => roundTrip(new Uint8Array(0)), 'bad-magic');
});

test('forged headers (valid checksum) are rejected by field', () => {
  const { bytes } = build(100);
  const forge = (edit: (v: DataView) => void): Uint8Array => {
    const b = bytes.slice();
    edit(new DataView(b.buffer));
    return resign(b);
  };
  assertCorrupt(() => roundTrip(forge((v) => v.setUint8(5, 1))), 'unsupported-version', /flags/);
  assertCorrupt(
    () => roundTrip(forge((v) => v.setUint8(8, 9))),
    'bad-header',
    /unknown codec code 9/,
  );
  assertCorrupt(() => roundTrip(forge((v) => v.setUint8(9, 3))), 'bad-header', /unknown dtype/);
  assertCorrupt(() => roundTrip(forge((v) => v.setUint8(10, 1))), 'bad-header', /layout/);
  assertCorrupt(
    () => roundTrip(forge((v) => v.setUint32(16, 99, true))),
    'bad-header',
    /holds 100 elements/,
  );
  assertCorrupt(
    () => roundTrip(forge((v) => v.setUint32(24, 40, true))),
    'bad-header',
    /chunk of 40 elements/,
  );
  assertCorrupt(
    () => roundTrip(forge((v) => v.setUint32(28, 3, true))),
    'bad-header',
    /chunk count 3/,
  );
  assertCorrupt(() => roundTrip(forge((v) => v.setUint8(12, 2))), 'bad-header');
  assertCorrupt(() => roundTrip(forge((v) => v.setUint16(14, 1, true))), 'bad-header', /reserved/);
  assertCorrupt(
    () => roundTrip(forge((v) => v.setUint32(36, 0x0020_0000, true))),
    'bad-header',
    /out of range|dimension/,
  );
  // header length field: too small, too large, inconsistent with the contents
  for (const len of [0, 35, 5000, 52]) {
    const b = bytes.slice();
    new DataView(b.buffer).setUint16(6, len, true);
    assertCorrupt(() => roundTrip(b));
  }
});

test('a codec that rejects the stored params makes a named header error', () => {
  const { bytes } = build(40, { params: { level: 3 } });
  const picky = (): never => {
    throw new InvalidArgumentError('level must be 0-9');
  };
  assertCorrupt(
    () => parseContainer(bytes, picky),
    'bad-header',
    /rejects its stored parameters: level must be 0-9/,
  );
});

test('forged sizes fail fast, before any allocation the input cannot back', () => {
  const before = process.memoryUsage().arrayBuffers;
  // 2^52 elements in 16777216 chunks of 1 GiB, with no frames at all.
  const huge = makeHeader(fields(2 ** 52, { shape: [2 ** 26, 2 ** 26], chunkElements: 2 ** 28 }));
  const withHeader = new Uint8Array(huge.headerBytes + 64);
  encodeHeader(huge, withHeader);
  assertCorrupt(
    () => parseContainer(withHeader, resolve),
    'truncated',
    /announces 16777216 chunks/,
  );
  // One chunk claiming 1 GiB of raw data from a 16-byte payload with a valid CRC.
  const one = makeHeader(fields(2 ** 28, { chunkElements: 2 ** 28 }));
  const forged = new Uint8Array(one.headerBytes + 8 + 16);
  encodeHeader(one, forged);
  new DataView(forged.buffer).setUint32(one.headerBytes, 16, true);
  resignFrame(forged, one.headerBytes);
  assertCorrupt(
    () => parseContainer(forged, resolve),
    'bad-chunk-size',
    /cannot hold 1073741824 raw bytes/,
  );
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 2 ** 20);
});
