// --backend webgpu: the adapter is found (or the test says why not), the
// backend registers with cdma's layer kernels, and its kernels agree with cpu.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, parseBackendName } from '../../src/nn/backend.js';
import { SGD_UPDATE } from '../../src/nn/kernels/SgdUpdate.js';
import { AVG_POOL_GRAD_FROM_SHAPE } from '../../src/nn/kernels/AvgPoolGradFromShape.js';
import { webgpuAvailable } from '../../src/webgpu/adapter.js';

test('webgpu is a backend name', () => {
  assert.equal(parseBackendName('webgpu'), 'webgpu');
  assert.throws(() => parseBackendName('webgl'), /use one of: wasm, cpu, webgpu/);
});

test('the adapter is reported, or why there is none', async (t) => {
  const a = await webgpuAvailable();
  if (!a.ok) {
    assert.match(a.reason, /webgpu|adapter/i);
    t.skip(a.reason);
    return;
  }
  t.diagnostic(`adapter: ${a.adapter}${a.software ? ' (software)' : ''}`);
  assert.ok(a.adapter.length > 0);
});

/** Runs f on cpu and on webgpu with the same inputs, returns both outputs. */
async function onBoth(f: () => tf.Tensor | tf.Tensor[]): Promise<[Float32Array[], Float32Array[]]> {
  const out: Float32Array[][] = [];
  for (const b of ['cpu', 'webgpu'] as const) {
    await initBackend(b);
    const r = f();
    const list = Array.isArray(r) ? r : [r];
    out.push(await Promise.all(list.map(async (x) => (await x.data()) as Float32Array)));
    tf.dispose(list);
  }
  return [out[0], out[1]];
}

function close(a: Float32Array, b: Float32Array, tol = 1e-5): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    assert.ok(d <= tol * Math.max(1, Math.abs(a[i])), `element ${i}: ${a[i]} vs ${b[i]}`);
  }
}

test('cdma kernels on webgpu agree with cpu (SGD update, average-pooling backward)', async (t) => {
  const a = await webgpuAvailable();
  if (!a.ok) {
    t.skip(a.reason);
    return;
  }
  await initBackend('webgpu');
  assert.equal(tf.getBackend(), 'webgpu');
  assert.ok(tf.getKernel(SGD_UPDATE, 'webgpu'));
  const w = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i));
  const g = Float32Array.from({ length: 300 }, (_, i) => Math.cos(3 * i));
  const v = Float32Array.from({ length: 300 }, (_, i) => Math.sin(7 * i) / 2);
  for (const attrs of [
    { lr: 0.1, momentum: 0, weightDecay: 0.01, first: true },
    { lr: 0.05, momentum: 0.9, weightDecay: 5e-4, first: true },
    { lr: 0.05, momentum: 0.9, weightDecay: 5e-4, first: false },
  ]) {
    const [c, gpu] = await onBoth(() => {
      const inputs: tf.NamedTensorMap = { w: tf.tensor(w, [20, 15]), g: tf.tensor(g, [20, 15]) };
      if (!attrs.first) inputs.v = tf.tensor(v, [20, 15]);
      const outs = tf.engine().runKernel(SGD_UPDATE, inputs, attrs as never) as tf.Tensor[];
      tf.dispose(Object.values(inputs));
      return outs;
    });
    assert.equal(gpu.length, attrs.momentum > 0 ? 2 : 1);
    for (let k = 0; k < c.length; k++) close(c[k], gpu[k]);
  }
  const dy = Float32Array.from({ length: 2 * 3 * 3 * 4 }, (_, i) => (i % 7) - 3);
  const [c, gpu] = await onBoth(
    () =>
      tf.engine().runKernel(AVG_POOL_GRAD_FROM_SHAPE, { dy: tf.tensor(dy, [2, 3, 3, 4]) }, {
        inputShape: [2, 6, 6, 4],
        filterSize: [3, 3],
        strides: [2, 2],
        pad: 'same',
      } as never) as tf.Tensor,
  );
  close(c[0], gpu[0]);
});
