import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { InvalidArgumentError } from '../../src/errors.js';
import { makeHeader, type ContainerHeader } from '../../src/codec/container/format.js';
import {
  createContainerDecoder,
  createContainerEncoder,
} from '../../src/codec/container/stream.js';
import { writeContainer } from '../../src/codec/container/writer.js';
import { ContainerCorruptError } from '../../src/codec/container/errors.js';
import { identityCodec } from './container-helpers.js';
import { compress, compressStream, decompressStream } from '../../src/codec/api.js';

const resolve = () => identityCodec;

function header(elements: number, chunkElements = 64): ContainerHeader {
  return makeHeader({
    codec: 'none',
    params: {},
    dtype: 'float16',
    layout: 'flat',
    codecLayout: 'flat',
    shape: [elements],
    elements,
    chunkElements,
  });
}

/** `bytes` cut at the given points into a stream of Buffers. */
function pieces(bytes: Uint8Array, cuts: number[]): Readable {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    parts.push(Buffer.from(bytes.subarray(at, p)));
    at = p;
  }
  return Readable.from(parts);
}

async function collect(source: Readable, t: Transform): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(source, t, async (chunks: AsyncIterable<Buffer>) => {
    for await (const c of chunks) out.push(c);
  });
  return Buffer.concat(out);
}

test('streamed encoding gives the one-shot bytes, streamed decoding the raw bytes, split anywhere', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 300 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      async (n, cutsIn, cutsOut) => {
        const h = header(n);
        const raw = new Uint8Array(n * 2).map((_, i) => (i * 7) & 0xff);
        const oneShot = writeContainer(h, identityCodec, raw);
        const streamed = await collect(
          pieces(raw, cutsIn),
          createContainerEncoder(h, identityCodec),
        );
        assert.deepEqual(new Uint8Array(streamed), oneShot);
        let seen: ContainerHeader | undefined;
        const decoder = createContainerDecoder(resolve).on(
          'header',
          (x: ContainerHeader) => (seen = x),
        );
        const decoded = await collect(pieces(oneShot, cutsOut), decoder);
        assert.deepEqual(new Uint8Array(decoded), raw);
        assert.equal(seen?.elements, n);
      },
    ),
    { numRuns: 60 },
  );
});

test('the stream encoder refuses too few or too many bytes', async () => {
  const h = header(10);
  await assert.rejects(
    collect(pieces(new Uint8Array(19), []), createContainerEncoder(h, identityCodec)),
    InvalidArgumentError,
  );
  await assert.rejects(
    collect(pieces(new Uint8Array(21), []), createContainerEncoder(h, identityCodec)),
    InvalidArgumentError,
  );
});

test('the stream decoder names truncation, corruption and trailing bytes', async () => {
  const h = header(200);
  const good = writeContainer(h, identityCodec, new Uint8Array(400).fill(3));
  const fails = async (bytes: Uint8Array, reason: string): Promise<void> => {
    await assert.rejects(
      collect(pieces(bytes, [5, 50, 170]), createContainerDecoder(resolve)),
      (e: unknown) => {
        assert.ok(e instanceof ContainerCorruptError, String(e));
        assert.equal(e.reason, reason, e.message);
        return true;
      },
    );
  };
  for (const len of [0, 3, 20, h.headerBytes, h.headerBytes + 5, good.length - 1])
    await fails(good.subarray(0, len), 'truncated');
  await fails(Uint8Array.from([...good, 1]), 'trailing-bytes');
  const flipped = good.slice();
  flipped[good.length - 3] ^= 0x10;
  await fails(flipped, 'chunk-checksum');
  const header2 = good.slice();
  header2[20] ^= 1;
  await fails(header2, 'header-checksum');
  await fails(Buffer.from('PK\x03\x04 not a container at all, but long enough'), 'bad-magic');
});

test('compressStream and decompressStream match compress() with the real codecs', async () => {
  const data = new Float32Array(5000).map((_, i) => (i % 4 === 0 ? i : 0));
  const raw = new Uint8Array(data.buffer);
  for (const codec of ['zvc', 'rle', 'zlib', 'none'] as const) {
    const opts = {
      codec,
      dtype: 'float32' as const,
      shape: [1, 5, 10, 100],
      layout: 'nchw' as const,
      chunkBytes: 4096,
    };
    const oneShot = compress(data, opts);
    const streamed = await collect(pieces(raw, [1, 999, 4097, 12000]), compressStream(opts));
    assert.deepEqual(new Uint8Array(streamed), oneShot, codec);
    const back = await collect(pieces(oneShot, [3, 77, 5000]), decompressStream());
    assert.deepEqual(new Uint8Array(back), raw, codec);
  }
  assert.throws(() => compressStream({ dtype: 'float32' }), InvalidArgumentError);
  assert.throws(
    () =>
      compressStream({
        dtype: 'float32',
        shape: [1, 1, 2, 32],
        layout: 'nchw',
        codecLayout: 'nhwc',
      }),
    InvalidArgumentError,
  );
});
