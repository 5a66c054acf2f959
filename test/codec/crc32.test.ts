import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  crc32,
  crc32Fallback,
  crc32Impl,
  crc32Native,
  crc32Zlib,
} from '../../src/codec/container/crc32.js';

const impls = [
  ['table', crc32Fallback],
  ['zlib', crc32Zlib],
  ['native', crc32Native],
] as const;

test('every CRC-32 implementation gives the check value 0xCBF43926 for "123456789"', () => {
  const check = new TextEncoder().encode('123456789');
  for (const [name, f] of impls) if (f) assert.equal(f(check), 0xcbf43926, name);
  assert.equal(crc32(check), 0xcbf43926);
});

test('the native CRC-32 loads here (npm install installed @node-rs/crc32) and is the one in use', () => {
  assert.ok(crc32Native, '@node-rs/crc32 did not load');
  assert.equal(crc32Impl, 'native');
});

test('property: the implementations agree on any bytes, at any offset, continued from any value', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 3000 }),
      fc.nat(40),
      fc.nat(40),
      fc.integer({ min: 0, max: 0xffffffff }),
      (bytes, skip, cut, start) => {
        const data = bytes.subarray(Math.min(skip, bytes.length));
        const at = Math.min(cut, data.length);
        const whole = crc32Fallback(data, start);
        const split = crc32Fallback(data.subarray(at), crc32Fallback(data.subarray(0, at), start));
        assert.equal(split, whole);
        for (const [name, f] of impls) {
          if (!f) continue;
          assert.equal(f(data, start), whole, name);
          assert.equal(f(data.subarray(at), f(data.subarray(0, at), start)), whole, name);
        }
      },
    ),
    { numRuns: 300 },
  );
});
