/**
 * The codec extension point: codecs written here, in a test file, registered
 * with registerCodec, then used through the registry and the container API
 * exactly like cdma's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pathToFileURL } from 'node:url';
import { inspect as show } from 'node:util';
import { pipeline } from 'node:stream/promises';
import {
  CODEC_IDS,
  compress,
  compressStream,
  decompress,
  decompressStream,
  dumpContainer,
  getCodec,
  inspect,
  openContainer,
  registerCodec,
  type CodecDescriptor,
  type CodecOps,
} from '../../src/index.js';
import { CorruptDataError, InvalidArgumentError } from '../../src/errors.js';
import { checkElements } from '../../src/codec/bytes.js';
import { compressedSize } from '../../src/codec/size.js';
import { resign } from './container-helpers.js';

/** Byte-XOR with a key: the payload is as long as the data. */
const xorCodec: CodecDescriptor = {
  id: 'xor',
  containerId: 200,
  description: 'every byte XORed with a key (a test codec)',
  params: [
    { name: 'key', type: 'integer', min: 0, max: 255, default: 90, description: 'the XOR key' },
  ],
  elementBytes: [2, 4],
  cheapExactSize: true,
  orderFreeSize: true,
  create(params): CodecOps {
    const key = params.key;
    const xorInto = (src: Uint8Array, out: Uint8Array): Uint8Array => {
      for (let i = 0; i < src.length; i++) out[i] = src[i] ^ key;
      return out.subarray(0, src.length);
    };
    return {
      maxEncodedSize: (n, eb) => (checkElements(n, eb), n),
      encodedSize: (src, eb) => (checkElements(src.length, eb), src.length),
      encode(src, eb, out) {
        checkElements(src.length, eb);
        if (out !== undefined && out.length < src.length)
          throw new InvalidArgumentError(`output of ${out.length} bytes is too small`);
        return xorInto(src, out ?? new Uint8Array(src.length));
      },
      decode(src, eb, byteLength, out) {
        checkElements(byteLength, eb);
        if (src.length !== byteLength)
          throw new CorruptDataError(`xor payload holds ${src.length} bytes, not ${byteLength}`);
        return xorInto(src, out ?? new Uint8Array(byteLength));
      },
      maxExpansion: () => 1,
    };
  },
};

/** Word-wise delta (each 4-byte word minus the one before, mod 2^32); 4-byte elements only. */
const deltaCodec: CodecDescriptor = {
  id: 'delta32',
  containerId: 201,
  description: 'differences of consecutive 32-bit words (a test codec)',
  params: [],
  elementBytes: [4],
  create(): CodecOps {
    const words = (b: Uint8Array): Uint32Array =>
      new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
    return {
      maxEncodedSize: (n) => n,
      encodedSize: (src) => src.length,
      encode(src, _eb, out) {
        const s = words(src.slice());
        const o = out ?? new Uint8Array(src.length);
        const w = new DataView(o.buffer, o.byteOffset, src.length);
        for (let i = 0; i < s.length; i++) w.setUint32(4 * i, (s[i] - (s[i - 1] ?? 0)) >>> 0, true);
        return o.subarray(0, src.length);
      },
      decode(src, _eb, byteLength, out) {
        if (src.length !== byteLength)
          throw new CorruptDataError(
            `delta32 payload holds ${src.length} bytes, not ${byteLength}`,
          );
        const o = out ?? new Uint8Array(byteLength);
        const r = new DataView(src.buffer, src.byteOffset, src.length);
        const w = new DataView(o.buffer, o.byteOffset, byteLength);
        let acc = 0;
        for (let i = 0; i < byteLength / 4; i++) {
          acc = (acc + r.getUint32(4 * i, true)) >>> 0;
          w.setUint32(4 * i, acc, true);
        }
        return o.subarray(0, byteLength);
      },
      maxExpansion: () => 1,
    };
  },
};

registerCodec(xorCodec);
registerCodec(deltaCodec);

const data = Float32Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? 0 : i * 0.25 - 7));

test('a registered codec is listed and resolves with its defaults and checked params', () => {
  assert.ok(CODEC_IDS.includes('xor') && CODEC_IDS.includes('delta32'));
  assert.deepEqual(getCodec('xor').params, { key: 90 });
  const codec = getCodec('xor', { key: 7 });
  assert.equal(codec.id, 'xor');
  assert.deepEqual(codec.params, { key: 7 });
  const bytes = new Uint8Array(data.buffer);
  const enc = codec.encode(bytes, 4);
  assert.equal(enc[0], bytes[0] ^ 7);
  assert.deepEqual(codec.decode(enc, 4, bytes.length), bytes);
});

test('a registered codec round-trips through the container API', async () => {
  const bytes = compress(data, { codec: 'xor', params: { key: 7 }, chunkBytes: 1024 });
  assert.equal(bytes[8], 200, 'the header names the codec by its container id');
  const back = decompress(bytes);
  assert.deepEqual(back.data, data);
  const open = openContainer(bytes);
  assert.equal(open.summary.codec, 'xor');
  assert.deepEqual(open.summary.params, { key: 7 });
  assert.equal(open.summary.chunkCount, 4);
  assert.deepEqual(open.decodeChunk(1).data, data.subarray(256, 512));
  const report = inspect(bytes);
  assert.equal(report.codec, 'xor');
  assert.equal(report.nonZeros, data.filter((v) => v !== 0).length);
  assert.match(dumpContainer(bytes), /codec: xor\n[\s\S]*chunk 0 payload \(xor\)/);
  assert.equal(
    compressedSize(data, { codec: 'xor', dtype: 'float32' }),
    data.byteLength,
    'payload size from the codec',
  );

  const streamed = await buffer(
    Readable.from([Buffer.from(data.buffer)]).pipe(
      compressStream({
        codec: 'xor',
        params: { key: 7 },
        dtype: 'float32',
        elements: data.length,
        chunkBytes: 1024,
      }),
    ),
  );
  assert.deepEqual(new Uint8Array(streamed), bytes);
  const raw: Buffer[] = [];
  await pipeline(Readable.from([Buffer.from(bytes)]), decompressStream(), async (source) => {
    for await (const b of source as AsyncIterable<Buffer>) raw.push(b);
  });
  assert.deepEqual(new Float32Array(new Uint8Array(Buffer.concat(raw)).buffer), data);

  const delta = compress(data, { codec: 'delta32', layout: 'nchw', shape: [2, 5, 10, 10] });
  assert.deepEqual(decompress(delta).data, data);
});

test('a codec refuses element widths it does not declare', () => {
  assert.throws(() => compress(new Uint16Array(64), { codec: 'delta32', dtype: 'float16' }), {
    name: 'InvalidArgumentError',
    message: /codec delta32 does not take 2-byte elements \(float16\)/,
  });
});

test('unknown and out-of-range parameters are refused with one line naming them', () => {
  const cases: [string, Record<string, number>, RegExp][] = [
    ['xor', { kee: 1 }, /^unknown parameter 'kee' for codec xor; known: key \(0-255\)$/],
    ['xor', { key: 256 }, /^xor parameter key must be an integer from 0 to 255, not 256$/],
    ['xor', { key: -1 }, /^xor parameter key must be an integer from 0 to 255, not -1$/],
    ['xor', { key: 1.5 }, /^xor parameter key must be an integer from 0 to 255, not 1.5$/],
    ['xor', { key: NaN }, /^xor parameter key must be an integer from 0 to 255, not NaN$/],
    ['delta32', { key: 1 }, /^codec delta32 takes no parameters, got 'key'$/],
    ['zlib', { level: 12 }, /^zlib parameter level must be an integer from 0 to 9, not 12$/],
    ['zlib', { lvl: 1 }, /^unknown parameter 'lvl' for codec zlib; known: level \(0-9\)$/],
  ];
  for (const [id, params, message] of cases) {
    assert.throws(() => getCodec(id, params), { name: 'InvalidArgumentError', message }, id);
    assert.throws(
      () => compress(data, { codec: id, params }),
      { name: 'InvalidArgumentError', message },
      id,
    );
  }
});

test('a number-typed parameter takes fractions inside its range only', () => {
  registerCodec({
    ...xorCodec,
    id: 'xor-scaled',
    containerId: 202,
    params: [
      { name: 'scale', type: 'number', min: 0, max: 1, default: 0.5, description: 'unused' },
    ],
    create: (params) => xorCodec.create({ key: Math.round(params.scale * 255) }, {}),
  });
  assert.deepEqual(getCodec('xor-scaled', { scale: 0.25 }).params, { scale: 0.25 });
  assert.throws(() => getCodec('xor-scaled', { scale: 2 }), {
    message: /^xor-scaled parameter scale must be a number from 0 to 1, not 2$/,
  });
  const bytes = compress(data, { codec: 'xor-scaled', params: { scale: 0.25 } });
  assert.deepEqual(decompress(bytes).data, data);
});

test('registerCodec refuses taken ids and container ids and schemas a header cannot hold', () => {
  const bad: [CodecDescriptor, RegExp][] = [
    [xorCodec, /codec 'xor' is already registered/],
    [{ ...xorCodec, id: 'xor2', containerId: 1 }, /containerId 1 is already codec zvc's/],
    [{ ...xorCodec, id: 'xor2', containerId: 256 }, /containerId must be an integer from 0 to 255/],
    [{ ...xorCodec, id: 'Bad Id', containerId: 210 }, /codec id 'Bad Id' must be/],
    [{ ...xorCodec, id: 'xor2', containerId: 210, elementBytes: [] }, /elementBytes/],
    [
      {
        ...xorCodec,
        id: 'xor2',
        containerId: 210,
        params: [{ ...xorCodec.params[0], default: 300 }],
      },
      /parameter 'key': default 300 is not an integer from 0 to 255/,
    ],
    [
      {
        ...xorCodec,
        id: 'xor2',
        containerId: 210,
        params: [{ ...xorCodec.params[0], name: 'a-b' }],
      },
      /parameter 'a-b': a name is 1-32 letters, digits or _/,
    ],
    [
      {
        ...xorCodec,
        id: 'xor2',
        containerId: 210,
        params: [xorCodec.params[0], xorCodec.params[0]],
      },
      /declares parameter 'key' twice/,
    ],
  ];
  for (const [d, message] of bad)
    assert.throws(() => registerCodec(d), { name: 'InvalidArgumentError', message }, d.id);
  assert.ok(!CODEC_IDS.includes('xor2'), 'a refused codec is not registered');
});

test('a container naming a codec id nobody registered is a bad-header error', () => {
  const bytes = compress(data, { codec: 'xor' });
  bytes[8] = 250;
  assert.throws(() => decompress(resign(bytes)), {
    name: 'ContainerCorruptError',
    message: /unknown codec code 250/,
  });
});

test('stored parameters outside the schema are a bad-header error', () => {
  const bytes = compress(data, { codec: 'xor', params: { key: 255 } });
  // The key's float64 sits just before the header CRC; make it 256.
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const crcAt = view.getUint16(6, true) - 4;
  view.setFloat64(crcAt - 8, 256, true);
  assert.throws(() => decompress(resign(bytes)), {
    name: 'ContainerCorruptError',
    message:
      /codec xor rejects its stored parameters: xor parameter key must be an integer from 0 to 255, not 256/,
  });
});

test('the add-a-codec example of docs/CODECS.md runs as written', async () => {
  const doc = readFileSync(new URL('../../docs/CODECS.md', import.meta.url), 'utf8');
  const m = /<!-- example: add-codec -->\s*```ts\n([\s\S]*?)```/.exec(doc);
  assert.ok(m, 'docs/CODECS.md has no "example: add-codec" block');
  const entry = new URL('../../src/index.ts', import.meta.url).href;
  const source = m[1].replace("from 'cdma'", `from '${entry}'`);
  const expected = /console\.log\(.*\); \/\/ (.*)$/m.exec(source)?.[1];
  const dir = makeTempDir('codec-doc');
  const printed: string[] = [];
  const log = console.log;
  try {
    const file = join(dir, 'example.mts');
    writeFileSync(file, source);
    console.log = (...args: unknown[]) => printed.push(args.map((a) => show(a)).join(' '));
    await import(pathToFileURL(file).href);
  } finally {
    console.log = log;
    removeDir(dir);
  }
  assert.deepEqual(printed, [expected]);
  assert.ok(CODEC_IDS.includes('xor8'), 'the example registered its codec in the same registry');
  assert.deepEqual(getCodec('xor8').params, { key: 90 });
});
