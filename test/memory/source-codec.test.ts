import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/nn/backend.js';
import { SourceCodec } from '../../src/memory/source-codec.js';
import { StagingPool } from '../../src/memory/staging.js';
import { flatHeader, sealContainer } from '../../src/codec/container/engine-io.js';
import { decodeHeader } from '../../src/codec/container/format.js';
import { writeContainer } from '../../src/codec/container/writer.js';
import { getCodec } from '../../src/codec/registry.js';
import { CorruptDataError } from '../../src/errors.js';

before(async () => {
  await initBackend('wasm');
});

/** 3 MiB of ReLU-like values (about half zero, -0 and NaN included) over several container chunks. */
function sparseTensor(): tf.Tensor {
  const n = 3 * 262_144 + 77;
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = i % 7 === 0 ? -0 : i % 11 === 0 ? NaN : i % 2 ? 0 : i * 0.5;
  return tf.tensor(v, [n]);
}

test("containers written at the source are the container writer's bytes, and decode bit-exactly", () => {
  for (const codec of ['zvc', 'none'] as const) {
    const sc = SourceCodec.create(codec);
    assert.ok(sc, `a ${codec} source codec on the wasm backend`);
    const pool = new StagingPool();
    const t = sparseTensor();
    const raw = new Uint8Array(t.dataSync().buffer.slice(0));
    for (const hint of [0, 64, 1 << 30]) {
      const c = sc.encode(t, pool, hint);
      sealContainer(c.bytes, decodeHeader(c.bytes));
      const h = flatHeader(codec, {}, t.shape, 1 << 20);
      assert.deepEqual(c.bytes, writeContainer(h, getCodec(codec), raw), `${codec}, hint ${hint}`);
      if (codec === 'zvc') {
        const nz = new Uint32Array(raw.buffer).reduce((a, w) => a + (w !== 0 ? 1 : 0), 0);
        assert.equal(c.nonZero, nz);
      }
      const back = sc.decode(c.bytes, t.shape, t.dtype);
      assert.deepEqual(new Uint8Array(back.dataSync().buffer), raw);
      back.dispose();
      pool.release(c.block);
    }
    // A truncated container is a typed error, and leaks no tensor.
    const c = sc.encode(t, pool, 0);
    const before = tf.memory().numTensors;
    assert.throws(
      () => sc.decode(c.bytes.subarray(0, c.bytes.byteLength - 4), t.shape, t.dtype),
      CorruptDataError,
    );
    assert.equal(tf.memory().numTensors, before);
    assert.throws(() => sc.decode(c.bytes, [5], 'float32'), CorruptDataError);
    // Whatever else is wrong with its structure is a typed error too, and leaks no tensor.
    const headerBytes = decodeHeader(c.bytes).headerBytes;
    const longer = new Uint8Array(c.bytes.byteLength + 4);
    longer.set(c.bytes);
    const otherHeader = c.bytes.slice();
    otherHeader[12] ^= 1;
    const otherFrame = c.bytes.slice();
    otherFrame[headerBytes] ^= 4; // the first frame's payload length
    for (const bad of [longer, otherHeader, otherFrame])
      assert.throws(() => sc.decode(bad, t.shape, t.dtype), CorruptDataError);
    assert.equal(tf.memory().numTensors, before);
    // The first payload is 8-aligned in its shared block (V8 copies it word by word).
    assert.equal((c.bytes.byteOffset + headerBytes + 8) % 8, 0);
    // Codec none counts the non-zeros at the source too.
    const nz = new Uint32Array(raw.buffer).reduce((a, w) => a + (w !== 0 ? 1 : 0), 0);
    assert.equal(c.nonZero, nz, codec);
    t.dispose();
  }
});

test('decode with the sealed fingerprint checks every chunk CRC-32 itself: damage or another entry is a CorruptDataError', () => {
  for (const codec of ['zvc', 'none'] as const) {
    const sc = SourceCodec.create(codec)!;
    const pool = new StagingPool();
    const t = sparseTensor();
    const raw = new Uint8Array(t.dataSync().buffer.slice(0));
    const c = sc.encode(t, pool, 0);
    const fingerprint = sealContainer(c.bytes, decodeHeader(c.bytes));
    const good = sc.decode(c.bytes, t.shape, t.dtype, fingerprint);
    assert.deepEqual(new Uint8Array(good.dataSync().buffer), raw, codec);
    good.dispose();
    const before = tf.memory().numTensors;
    const headerBytes = decodeHeader(c.bytes).headerBytes;
    // A flipped payload bit in the last chunk (after earlier chunks were decoded).
    const flipped = c.bytes.slice();
    flipped[flipped.length - 1] ^= 0x10;
    assert.throws(
      () => sc.decode(flipped, t.shape, t.dtype, fingerprint),
      (e: unknown) => e instanceof CorruptDataError && /chunk 3 checksum mismatch/.test(String(e)),
    );
    // Without the fingerprint the flip is not looked for (the engine checked it).
    sc.decode(flipped, t.shape, t.dtype).dispose();
    // A stored CRC changed.
    const crc = c.bytes.slice();
    crc[headerBytes + 4] ^= 1;
    assert.throws(() => sc.decode(crc, t.shape, t.dtype, fingerprint), /CRC-32/);
    // Another valid container of the same shape: consistent on its own, not this entry's.
    const other = tf.mul(t, 2);
    const o = sc.encode(other, pool, 0);
    sealContainer(o.bytes, decodeHeader(o.bytes));
    assert.throws(
      () => sc.decode(o.bytes, t.shape, t.dtype, fingerprint),
      (e: unknown) => e instanceof CorruptDataError && /another entry/.test(String(e)),
    );
    other.dispose();
    assert.equal(tf.memory().numTensors, before, `${codec}: no tensor leaks`);
    t.dispose();
  }
});
