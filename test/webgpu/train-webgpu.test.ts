// Training on backend webgpu: one step of every -small network gives the cpu
// backend's loss and updated weights to float tolerance, and `cdma train
// --backend webgpu` runs. Without an adapter the tests skip and say why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/nn/backend.js';
import { Executor } from '../../src/nn/executor.js';
import { getModel, smallModels } from '../../src/nn/zoo/index.js';
import { Sgd } from '../../src/train/sgd.js';
import { webgpuAvailable } from '../../src/webgpu/adapter.js';
import { runCliProcess } from '../helpers/cli.js';

const available = await webgpuAvailable();

const SMALL = smallModels();

/** One training step (batch 2, SGD with momentum and decay): the loss and every parameter after the update. */
async function oneStep(
  name: string,
  backend: 'cpu' | 'webgpu',
): Promise<{ loss: number; params: Float32Array[] }> {
  await initBackend(backend);
  const exec = Executor.create(getModel(name), { seed: 3 });
  const sgd = new Sgd({ lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
  const images = tf.tensor4d(
    Float32Array.from({ length: 2 * 28 * 28 }, (_, i) => ((i * 7919) % 255) / 255),
    [2, 28, 28, 1],
  );
  try {
    const r = await exec.trainStep(images, new Int32Array([3, 7]), 1);
    sgd.step(exec.params);
    const params = await Promise.all(
      exec.params.map(async (p) => (await p.value.data()) as Float32Array),
    );
    return { loss: r.loss, params };
  } finally {
    images.dispose();
    sgd.dispose();
    exec.dispose();
  }
}

for (const name of SMALL) {
  test(`${name}: one step on webgpu equals the cpu backend's to float tolerance`, async (t) => {
    if (!available.ok) {
      t.skip(available.reason);
      return;
    }
    const cpu = await oneStep(name, 'cpu');
    const gpu = await oneStep(name, 'webgpu');
    assert.ok(Number.isFinite(gpu.loss));
    assert.ok(
      Math.abs(gpu.loss - cpu.loss) <= 1e-5 * Math.abs(cpu.loss),
      `loss ${gpu.loss} vs ${cpu.loss}`,
    );
    assert.equal(gpu.params.length, cpu.params.length);
    let worst = 0;
    for (let k = 0; k < cpu.params.length; k++) {
      const a = cpu.params[k];
      const b = gpu.params[k];
      assert.equal(b.length, a.length);
      for (let i = 0; i < a.length; i++)
        worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(a[i])));
    }
    t.diagnostic(
      `loss ${gpu.loss} (cpu ${cpu.loss}); largest weight difference ${worst.toExponential(2)}`,
    );
    assert.ok(worst <= 1e-4, `weights differ by ${worst}`);
  });
}

test('cdma train --backend webgpu runs a step with the loss of --backend cpu', async (t) => {
  if (!available.ok) {
    t.skip(available.reason);
    return;
  }
  const args = [
    '--model',
    'alexnet-small',
    '--steps',
    '1',
    '--batch',
    '2',
    '--limit',
    '2',
    '--test-limit',
    '2',
    '--quiet',
    '--json',
  ];
  const runs = [];
  for (const backend of ['cpu', 'webgpu']) {
    const r = await runCliProcess(['train', '--backend', backend, ...args]);
    assert.equal(r.code, 0, r.err);
    runs.push(
      JSON.parse(r.out) as { status: string; backend: string; finalLoss: number; testLoss: number },
    );
  }
  const [cpu, gpu] = runs;
  assert.equal(gpu.status, 'ok');
  assert.equal(gpu.backend, 'webgpu');
  assert.ok(
    Math.abs(gpu.finalLoss - cpu.finalLoss) <= 1e-5 * Math.abs(cpu.finalLoss),
    `${gpu.finalLoss} vs ${cpu.finalLoss}`,
  );
  assert.ok(
    Math.abs(gpu.testLoss - cpu.testLoss) <= 1e-4 * Math.abs(cpu.testLoss),
    `${gpu.testLoss} vs ${cpu.testLoss}`,
  );
});
