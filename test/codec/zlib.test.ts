import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { getCodec } from '../../src/codec/registry.js';
import { randomTensor } from './helpers.js';

test('zlib: a stream that inflates far past the expected size is refused, not inflated', () => {
  const bomb = deflateRawSync(new Uint8Array(32 << 20)); // 32 MiB of zeros in ~32 KiB
  assert.ok(bomb.length < 64 << 10);
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(() => getCodec('zlib').decode(bomb, 4, 4096), { name: 'CorruptDataError' });
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 << 20, 'no giant allocation');
});

test('zlib: bytes after the end of the DEFLATE stream are corrupt', () => {
  const codec = getCodec('zlib');
  const src = randomTensor(100, 4, 0.5, 1);
  const enc = codec.encode(src, 4);
  const longer = new Uint8Array(enc.length + 1);
  longer.set(enc);
  assert.throws(() => codec.decode(longer, 4, src.length), /bytes follow/);
});

test('zlib: levels change the output, level 6 is the default and recorded in params', () => {
  const src = randomTensor(20_000, 4, 0.4, 3);
  assert.deepEqual(getCodec('zlib').params, { level: 6 });
  const sizes = [0, 1, 9].map((level) => getCodec('zlib', { level }).encode(src, 4).length);
  assert.ok(sizes[0] > sizes[1] && sizes[1] >= sizes[2], `sizes ${sizes}`);
  assert.ok(sizes[0] <= getCodec('zlib').maxEncodedSize(src.length, 4));
});
