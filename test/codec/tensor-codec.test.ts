/**
 * Codecs as numcodecs-shaped objects: TensorCodec (id, encode, decode,
 * toConfig, fromConfig) over every registered codec, and listCodecs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CODEC_IDS,
  codecFromConfig,
  compress,
  decompress,
  listCodecs,
  registerCodec,
  TensorCodec,
  type CodecDescriptor,
  type DType,
} from '../../src/codec/index.js';
import { DTYPE_BYTES } from '../../src/codec/codec.js';
import { randomTensor } from './helpers.js';

function bytes(x: ArrayBufferView): Uint8Array {
  return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
}

test('property: every codec object round-trips every dtype bit for bit, through its config as JSON', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...CODEC_IDS),
      fc.constantFrom<DType>('float32', 'float16', 'bfloat16'),
      fc.integer({ min: 0, max: 700 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.integer(),
      (id, dtype, n, d, seed) => {
        const raw = randomTensor(n, DTYPE_BYTES[dtype], d, seed);
        const codec = new TensorCodec(id, {}, dtype);
        const encoded = codec.encode(raw);
        const again = TensorCodec.fromConfig(JSON.parse(JSON.stringify(codec.toConfig())));
        assert.deepEqual(again.toConfig(), codec.toConfig());
        assert.deepEqual(again.decode(encoded), raw);
        // decompress reads what encode wrote: it is a container
        assert.deepEqual(bytes(decompress(encoded).data), raw);
        assert.equal(decompress(encoded).dtype, dtype);
      },
    ),
    { numRuns: 120 },
  );
});

test('toConfig lists every parameter with its default; fromConfig takes them back', () => {
  assert.deepEqual(new TensorCodec('zvc').toConfig(), { id: 'zvc' });
  assert.deepEqual(codecFromConfig({ id: 'zlib' }).toConfig(), { id: 'zlib', level: 6 });
  assert.deepEqual(codecFromConfig({ id: 'rle', litBits: 24, dtype: 'bfloat16' }).toConfig(), {
    id: 'rle',
    runBits: 8,
    litBits: 24,
    dtype: 'bfloat16',
  });
  const zlib = codecFromConfig({ id: 'zlib', level: 9 });
  assert.equal(zlib.id, 'zlib');
  assert.deepEqual(zlib.params, { level: 9 });
  assert.deepEqual(
    decompress(zlib.encode(Float32Array.of(1, 0, 2))).data,
    Float32Array.of(1, 0, 2),
  );
});

test('decode fills out when given: typed as the dtype, or any array as bytes', () => {
  const x = Float32Array.of(0, 1.5, -0, 0, NaN, 3);
  const codec = new TensorCodec('zvc');
  const encoded = codec.encode(x, { shape: [2, 3] });
  assert.deepEqual(decompress(encoded).shape, [2, 3]);
  const out = new Float32Array(6);
  assert.equal(codec.decode(encoded, out), out);
  assert.deepEqual(bytes(out), bytes(x));
  const asInts = new Int32Array(6);
  assert.equal(codec.decode(encoded, asInts), asInts);
  assert.deepEqual(bytes(asInts), bytes(x));
  assert.throws(() => codec.decode(encoded, new Float32Array(5)), {
    name: 'InvalidArgumentError',
    message: /output holds 20 bytes; the tensor needs 24/,
  });
  assert.throws(() => codec.decode(encoded, new Uint16Array(12)), {
    name: 'InvalidArgumentError',
    message: /holds float32; pass a Float32Array/,
  });
});

test('a codec object refuses what it cannot take, naming the problem', () => {
  const cases: [() => unknown, RegExp][] = [
    [
      () => codecFromConfig({ id: 'zlib', lvl: 3 }),
      /unknown key 'lvl' .*codec zlib; valid keys: id, dtype, level$/,
    ],
    [
      () => codecFromConfig({ id: 'zvc', level: 3 }),
      /unknown key 'level' .*codec zvc; valid keys: id, dtype$/,
    ],
    [
      () => codecFromConfig({ id: 'zlib', level: 12 }),
      /level must be an integer from 0 to 9, not 12/,
    ],
    [() => codecFromConfig({ id: 'lz4' }), /unknown codec 'lz4'/],
    [() => codecFromConfig({ level: 1 } as never), /needs an id/],
    [() => codecFromConfig(null as never), /a codec configuration is an object/],
    [() => new TensorCodec('zvc', {}, 'int8' as never), /unknown dtype 'int8'/],
    [() => new TensorCodec('zvc').encode(new Uint8Array(8)), /raw bytes need a dtype/],
    [
      () => new TensorCodec('zvc').encode(Float32Array.of(1), { codec: 'rle' } as never),
      /unknown encode option 'codec'; valid options: dtype, shape/,
    ],
    [
      () => new TensorCodec('zvc').decode(new TensorCodec('rle').encode(Float32Array.of(1))),
      /the container holds codec rle, not zvc/,
    ],
  ];
  for (const [f, message] of cases)
    assert.throws(f, { name: 'InvalidArgumentError', message }, String(message));
});

test('a codec a program registers is a codec object too, and listCodecs shows it', () => {
  const negate: CodecDescriptor = {
    id: 'negate-test',
    containerId: 222,
    description: 'every byte inverted (a test codec)',
    params: [
      { name: 'mask', type: 'integer', min: 0, max: 255, default: 255, description: 'xor mask' },
    ],
    elementBytes: [4],
    create: ({ mask }) => {
      const flip = (src: Uint8Array, out: Uint8Array = new Uint8Array(src.length)) => {
        for (let i = 0; i < src.length; i++) out[i] = src[i] ^ mask;
        return out.subarray(0, src.length);
      };
      return {
        maxEncodedSize: (n) => n,
        encodedSize: (src) => src.length,
        encode: (src, _eb, out) => flip(src, out),
        decode: (src, _eb, _n, out) => flip(src, out),
        maxExpansion: () => 1,
      };
    },
  };
  registerCodec(negate);
  const info = listCodecs().find((c) => c.id === 'negate-test');
  assert.deepEqual(info && { ...info, params: info.params.map((p) => p.name) }, {
    id: 'negate-test',
    containerId: 222,
    description: 'every byte inverted (a test codec)',
    params: ['mask'],
    elementBytes: [4],
  });
  assert.deepEqual(
    listCodecs()
      .slice(0, 4)
      .map((c) => c.id),
    ['zvc', 'rle', 'zlib', 'none'],
  );
  const codec = codecFromConfig({ id: 'negate-test', mask: 15 });
  const x = Float32Array.of(1, 0, -2.5);
  const encoded = codec.encode(x);
  assert.deepEqual(codec.decode(encoded), bytes(x));
  assert.deepEqual(decompress(compress(x, { codec: 'negate-test', params: { mask: 15 } })).data, x);
  assert.throws(() => codec.encode(new Uint16Array(2), { dtype: 'float16' }), {
    message: /does not take 2-byte elements/,
  });
});

test('codec parameters cannot be named id or dtype (a configuration uses those keys)', () => {
  for (const name of ['id', 'dtype'])
    assert.throws(
      () =>
        registerCodec({
          id: `reserved-${name}`,
          containerId: 230,
          description: 'x',
          params: [{ name, type: 'integer', min: 0, max: 1, default: 0, description: 'x' }],
          elementBytes: [4],
          create: () => {
            throw new Error('not reached');
          },
        }),
      {
        name: 'InvalidArgumentError',
        message: new RegExp(`parameter '${name}'.*choose another name`),
      },
    );
});
