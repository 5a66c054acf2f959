/**
 * ZVC (and the other cdma codecs) as zarr v3 codecs of zarrita.js: arrays
 * written to disk through zarrita's file-system store read back bit for bit,
 * every chunk file is a cdma container, and bad configurations are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as zarr from 'zarrita';
import { FileSystemStore } from '@zarrita/storage';
import {
  decompress,
  inspect,
  registerZarrCodecs,
  zarrCodec,
  zarrCodecMetadata,
  zvcZarrCodec,
  ZVC_ZARR_CODEC,
} from '../../src/codec/index.js';
import { tempDir } from '../helpers/tmp.js';

registerZarrCodecs(zarr.registry, ['zvc', 'rle']);

const BYTES = { name: 'bytes', configuration: { endian: 'little' } };

/** Every file under `dir`, relative, that is a chunk (not zarr.json). */
function chunkFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => !f.endsWith('zarr.json') && statSync(join(dir, f)).isFile())
    .sort();
}

/** Sparse float32 values with the bit patterns lossless codecs must keep: -0, NaN payloads, denormals. */
function activations(n: number): Float32Array {
  const x = new Float32Array(n);
  const bits = new Uint32Array(x.buffer);
  for (let i = 0; i < n; i++) {
    if (i % 7 === 0) x[i] = Math.sin(i) * 100;
    if (i % 97 === 5) x[i] = -0;
    if (i % 101 === 3) bits[i] = 0x7fc00000 + i; // NaN with a payload
    if (i % 103 === 1) bits[i] = 1; // smallest denormal
  }
  return x;
}

function sameBits(a: ArrayBufferView, b: ArrayBufferView): boolean {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return Buffer.compare(x, y) === 0;
}

test('a zarr v3 float32 array written with cdma.zvc through zarrita reads back bit-exact', async (t) => {
  const dir = tempDir(t, 'zarr');
  const store = new FileSystemStore(dir);
  const shape = [37, 50];
  const data = activations(shape[0] * shape[1]);
  const arr = await zarr.create(store, {
    shape,
    chunkShape: [16, 32],
    dtype: 'float32',
    codecs: [BYTES, zarrCodecMetadata('zvc', { element_size: 4 })],
  });
  await zarr.set(arr, null, { data, shape, stride: [shape[1], 1] });

  const meta = JSON.parse(readFileSync(join(dir, 'zarr.json'), 'utf8'));
  assert.deepEqual(meta.codecs[1], { name: 'cdma.zvc', configuration: { element_size: 4 } });

  const opened = await zarr.open.v3(new FileSystemStore(dir), { kind: 'array' });
  const back = await zarr.get(opened, null);
  assert.deepEqual(back.shape, shape);
  assert.ok(back.data instanceof Float32Array);
  assert.ok(sameBits(back.data as Float32Array, data), 'bit-exact');

  // A region spanning chunk edges.
  const region = await zarr.get(opened, [zarr.slice(10, 30), zarr.slice(20, 45)]);
  const expected = new Float32Array(20 * 25);
  for (let i = 0; i < 20; i++)
    expected.set(data.subarray((10 + i) * 50 + 20, (10 + i) * 50 + 45), i * 25);
  assert.ok(sameBits(region.data as Float32Array, expected), 'region bit-exact');

  // 3 x 2 chunks, each a zvc container of one float32 chunk (16 x 32 elements).
  const files = chunkFiles(dir);
  assert.equal(files.length, 6);
  for (const f of files) {
    const c = readFileSync(join(dir, f));
    const report = inspect(c);
    assert.equal(report.codec, 'zvc');
    assert.equal(decompress(c).data.length, 16 * 32);
  }
});

test('element_size 2 stores 16-bit data, and another cdma codec (rle) works the same way', async (t) => {
  const dir = tempDir(t, 'zarr');
  const n = 300;
  const data = new Uint16Array(n).map((_, i) => (i % 5 === 0 ? (i * 2654435761) >>> 16 : 0));
  const half = await zarr.create(new FileSystemStore(join(dir, 'half')), {
    shape: [n],
    chunkShape: [64],
    dtype: 'uint16',
    codecs: [BYTES, zarrCodecMetadata('zvc', { element_size: 2 })],
  });
  await zarr.set(half, null, { data, shape: [n], stride: [1] });
  const a = await zarr.open.v3(new FileSystemStore(join(dir, 'half')), { kind: 'array' });
  assert.ok(sameBits((await zarr.get(a, null)).data as Uint16Array, data));

  const words = new Float64Array(n).map((_, i) => (i % 3 === 0 ? i / 7 : 0));
  const rle = await zarr.create(new FileSystemStore(join(dir, 'rle')), {
    shape: [n],
    chunkShape: [100],
    dtype: 'float64',
    codecs: [BYTES, zarrCodecMetadata('rle', { element_size: 4, runBits: 4, litBits: 4 })],
  });
  await zarr.set(rle, null, { data: words, shape: [n], stride: [1] });
  const r = await zarr.open.v3(new FileSystemStore(join(dir, 'rle')), { kind: 'array' });
  assert.ok(sameBits((await zarr.get(r, null)).data as Float64Array, words));
  const chunk = readFileSync(join(dir, 'rle', chunkFiles(join(dir, 'rle'))[0]));
  assert.deepEqual(inspect(chunk).params, { runBits: 4, litBits: 4 });
});

test('bad cdma zarr configurations and chunks are refused with the reason', () => {
  const meta = { dataType: 'float32', shape: [8, 8] };
  assert.throws(() => zvcZarrCodec.fromConfig({ element_size: 8 }, meta), {
    name: 'InvalidArgumentError',
    message: /cdma\.zvc: element_size must be 4 or 2, not 8/,
  });
  assert.throws(() => zvcZarrCodec.fromConfig({ element_size: 4, level: 9 }, meta), {
    name: 'InvalidArgumentError',
    message: /unknown configuration key 'level'; valid keys: element_size$/,
  });
  assert.throws(() => zarrCodec('zlib').fromConfig({ level: 12 }, meta), {
    name: 'InvalidArgumentError',
    message: /level must be an integer from 0 to 9/,
  });
  assert.throws(
    () => zvcZarrCodec.fromConfig({ element_size: 4 }, { dataType: 'uint8', shape: [3, 3] }),
    {
      name: 'InvalidArgumentError',
      message: /9 bytes, not a whole number of 4-byte words/,
    },
  );
  assert.throws(() => zarrCodec('lz4'), {
    name: 'InvalidArgumentError',
    message: /unknown codec 'lz4'/,
  });
  const codec = zvcZarrCodec.fromConfig(undefined, meta);
  assert.throws(() => codec.encode(new Uint8Array(6)), {
    message: /a chunk of 6 bytes is not a whole number of 4-byte words/,
  });
  const other = zvcZarrCodec.fromConfig({ element_size: 2 }, meta);
  const chunk = codec.encode(new Uint8Array(64).fill(3));
  assert.throws(() => other.decode(chunk), {
    name: 'InvalidArgumentError',
    message: /holds a zvc container of float32, not zvc of float16/,
  });
  const damaged = chunk.slice();
  damaged[damaged.length - 1] ^= 1;
  assert.throws(() => codec.decode(damaged), { name: 'ContainerCorruptError' });
  assert.equal(ZVC_ZARR_CODEC, 'cdma.zvc');
});
