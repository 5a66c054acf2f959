import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/nn/backend.js';
import { copyIn, copyOut, byteSizeOf } from '../../src/memory/device-copy.js';
import { sizeClass, StagingPool } from '../../src/memory/staging.js';

// Pins the tfjs-backend-wasm 4.22 internals the fast path reads
// (dataIdMap.get(dataId).memoryOffset into wasm.HEAPU8) and checks that both
// backends move the exact bytes, -0.0 and NaN payloads included.
for (const backend of ['wasm', 'cpu'] as const) {
  test(`device copies are bit-exact on the ${backend} backend`, async () => {
    await initBackend(backend);
    const pool = new StagingPool();
    const raw = new Float32Array([0, -0, 1.5, NaN, -3, 0, 1e-45, Infinity]);
    const bits = new Uint32Array(raw.buffer);
    bits[3] = 0x7fc00123; // a NaN with a payload
    const t = tf.tensor(raw, [2, 4]);
    const staging = pool.acquire(byteSizeOf(t));
    assert.ok(staging.buffer instanceof SharedArrayBuffer);
    const fast = copyOut(t, staging);
    assert.equal(fast, backend === 'wasm');
    assert.deepEqual(new Uint32Array(staging.buffer, 0, 8), bits);
    const back = copyIn(staging, [2, 4], 'float32');
    // The staging buffer is reused: the tensor must not alias it.
    staging.fill(0xff);
    assert.deepEqual(new Uint32Array((back.dataSync() as Float32Array).buffer.slice(0)), bits);
    pool.release(staging);
    const i32 = tf.tensor([1, -2, 3], [3], 'int32');
    const s2 = pool.acquire(12);
    copyOut(i32, s2);
    assert.deepEqual(Array.from(copyIn(s2, [3], 'int32').dataSync()), [1, -2, 3]);
    assert.throws(() => copyOut(i32, pool.acquire(8)));
    tf.dispose([t, back, i32]);
  });
}

test('the staging pool reuses buffers by size class (at most 12.5% unused)', () => {
  const pool = new StagingPool();
  const a = pool.acquire(100);
  assert.equal(a.byteLength, 100);
  assert.equal(pool.heldBytes, sizeClass(100));
  pool.release(a);
  assert.equal(pool.pooledBytes, sizeClass(100));
  assert.equal(pool.acquire(90).buffer, a.buffer, 'same class, same buffer');
  assert.notEqual(pool.acquire(100).buffer, a.buffer);
  assert.equal(pool.acquire(3).byteOffset % 8, 0);
  const block = pool.acquireBlock(1_000_000);
  assert.equal(block.byteLength, sizeClass(1_000_000));
  for (const n of [4097, 65_537, 1_000_000, 3 << 20, 1e9 + 7]) {
    const c = sizeClass(n);
    assert.ok(c >= n && c <= n * 1.125 + 1, `${n} -> ${c}`);
    assert.equal(sizeClass(c), c, 'a class is its own class');
  }
});
