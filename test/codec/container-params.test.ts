// A container records every codec parameter, defaults included; a header that
// lacks one is corrupt rather than decoded with whatever defaults the reader has.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import {
  compress,
  decompress,
  decompressStream,
  inspect,
  openContainer,
} from '../../src/codec/api.js';
import type { CodecParams } from '../../src/codec/codec.js';
import { decodeHeader, encodeHeader, makeHeader } from '../../src/codec/container/format.js';
import { ContainerCorruptError } from '../../src/codec/container/errors.js';
import { assertCorrupt, resign } from './container-helpers.js';

const data = new Float32Array(256).map((_, i) => (i % 3 === 0 ? 0 : i / 7));

/** `bytes` with its header rewritten to hold `params` instead (frames unchanged). */
function withParams(bytes: Uint8Array, params: CodecParams): Uint8Array {
  const h = decodeHeader(bytes);
  const head = makeHeader({ ...h, params });
  const out = new Uint8Array(head.headerBytes + bytes.length - h.headerBytes);
  encodeHeader(head, out);
  out.set(bytes.subarray(h.headerBytes), head.headerBytes);
  return out;
}

async function streamed(bytes: Uint8Array): Promise<void> {
  await pipeline(
    Readable.from([Buffer.from(bytes)]),
    decompressStream(),
    new Writable({ write: (_c, _e, cb) => cb() }),
  );
}

test('the writer records every parameter of the codec, defaults included', () => {
  assert.deepEqual(decodeHeader(compress(data, { codec: 'rle' })).params, {
    litBits: 8,
    runBits: 8,
  });
  assert.deepEqual(decodeHeader(compress(data, { codec: 'zlib' })).params, { level: 6 });
  assert.deepEqual(
    decodeHeader(compress(data, { codec: 'rle', params: { runBits: 4, litBits: 4 } })).params,
    { litBits: 4, runBits: 4 },
  );
});

test('a header missing a codec parameter is corrupt, in every reader', async () => {
  for (const [codec, keep, missing] of [
    ['rle', { litBits: 8 }, 'runBits'],
    ['rle', { runBits: 8 }, 'litBits'],
    ['zlib', {}, 'level'],
  ] as const) {
    const bytes = withParams(compress(data, { codec }), keep);
    const re = new RegExp(`codec ${codec} parameter ${missing} is missing`);
    assertCorrupt(() => decompress(bytes), 'bad-header', re);
    assertCorrupt(() => inspect(bytes), 'bad-header', re);
    assertCorrupt(() => openContainer(bytes), 'bad-header', re);
    await assert.rejects(
      streamed(bytes),
      (e: unknown) => e instanceof ContainerCorruptError && re.test(e.message),
    );
  }
});

test('a parameter named __proto__ is an unknown parameter, not dropped', () => {
  const bytes = compress(data, { codec: 'zvc' });
  const h = decodeHeader(bytes);
  const name = '__proto__';
  const entry = new Uint8Array(1 + name.length + 8);
  entry[0] = name.length;
  for (let i = 0; i < name.length; i++) entry[1 + i] = name.charCodeAt(i);
  new DataView(entry.buffer).setFloat64(1 + name.length, 1, true);
  const size = h.headerBytes + entry.length;
  const out = new Uint8Array(bytes.length + entry.length);
  out.set(bytes.subarray(0, h.headerBytes - 4));
  out.set(entry, h.headerBytes - 4);
  out.set(bytes.subarray(h.headerBytes), size);
  const view = new DataView(out.buffer);
  view.setUint16(6, size, true);
  out[13] = 1;
  resign(out);
  assertCorrupt(
    () => decompress(out),
    'bad-header',
    /codec zvc takes no parameters, got '__proto__'/,
  );
});

test('containers as written today still decode unchanged', () => {
  for (const codec of ['zvc', 'rle', 'zlib', 'none'] as const) {
    const back = decompress(compress(data, { codec }));
    assert.deepEqual(back.data, data, codec);
  }
});
