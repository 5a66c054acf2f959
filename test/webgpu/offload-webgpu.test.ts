// The memory manager on backend webgpu: offloads leave GPU buffers over the
// real link (compressed on the GPU with codec zvc) and come back, and the
// weights stay bit-identical to the webgpu oracle's; a budget that forces
// offloading holds. Without an adapter the tests skip and say why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/nn/backend.js';
import { Executor } from '../../src/nn/executor.js';
import { getModel, smallModels } from '../../src/nn/zoo/index.js';
import type { ModelSpec } from '../../src/nn/spec.js';
import { Sgd } from '../../src/train/sgd.js';
import { MemoryManager } from '../../src/memory/manager.js';
import { DEFAULT_MEMORY_CONFIG, type MemoryConfig } from '../../src/memory/config.js';
import { DeviceMemoryError } from '../../src/errors.js';
import { fitsEstimate } from '../../src/memory/budget.js';
import { TransferEngineError } from '../../src/memory/errors.js';
import { GpuSource } from '../../src/memory/gpu-source.js';
import { defaultDeviceLimitBytes } from '../../src/nn/device-limit.js';
import type { PeakEstimate } from '../../src/plan/index.js';
import { webgpuAvailable } from '../../src/webgpu/adapter.js';
import { tempDir } from '../helpers/tmp.js';
import { runCliProcess } from '../helpers/cli.js';

const available = await webgpuAvailable();

const SMALL = smallModels();

interface Run {
  hash: string;
  peak: number;
  raw: number;
  link: number;
  /** The manager's estimates of each policy's peak (with a manager). */
  estimates?: Record<'none' | 'conv' | 'all', number>;
}

/** `steps` SGD steps of `spec` on webgpu, through a manager with `over` when given. */
async function run(
  spec: ModelSpec,
  batch: number,
  steps: number,
  over?: Partial<MemoryConfig>,
): Promise<Run> {
  await initBackend('webgpu');
  const m = over
    ? await MemoryManager.create({ config: { ...DEFAULT_MEMORY_CONFIG, ...over }, spec, batch })
    : undefined;
  const input = spec.layers[0];
  if (input.kind !== 'input') throw new Error('no input layer');
  const [c, h, w] = input.shape;
  const exec = Executor.create(spec, { seed: 5, store: m });
  const sgd = new Sgd({ lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
  let peak = 0;
  try {
    for (let step = 0; step < steps; step++) {
      const x = tf.randomNormal([batch, h, w, c], 0, 1, 'float32', 11 + step) as tf.Tensor4D;
      const labels = new Int32Array(batch).map((_, i) => (i * 7 + step) % spec.numClasses);
      try {
        const r = await exec.trainStep(x, labels, step);
        peak = Math.max(peak, r.peakDeviceBytes);
      } finally {
        x.dispose();
      }
      sgd.step(exec.params);
    }
    const hash = await exec.weightsHashAsync();
    const stats = m?.steps ?? [];
    const est = m?.budgetPlan?.estimates;
    if (m) assert.equal(m.liveEntries, 0, 'saved buffers left after the steps');
    return {
      hash,
      peak,
      raw: stats.reduce((a, s) => a + s.offloadedRawBytes, 0),
      link: stats.reduce((a, s) => a + s.offloadedLinkBytes, 0),
      estimates: est && {
        none: est.none.peakBytes,
        conv: est.conv.peakBytes,
        all: est.all.peakBytes,
      },
    };
  } finally {
    sgd.dispose();
    exec.dispose();
    await m?.close();
  }
}

for (const name of SMALL) {
  test(`${name} on webgpu: policy all, codec zvc (compressed on the GPU) gives the webgpu oracle's weights`, async (t) => {
    if (!available.ok) {
      t.skip(available.reason);
      return;
    }
    const spec = getModel(name);
    const oracle = await run(spec, 2, 1);
    const zvc = await run(spec, 2, 1, { policy: 'all', codec: { id: 'zvc' } });
    assert.equal(zvc.hash, oracle.hash, 'weights differ from the oracle');
    assert.ok(zvc.raw > 0, 'nothing was offloaded');
    assert.ok(zvc.link < zvc.raw, `ZVC sent ${zvc.link} bytes for ${zvc.raw} raw`);
    t.diagnostic(`offloaded ${zvc.raw} bytes, ${zvc.link} over the link`);
  });
}

test('on webgpu every codec and a spill store give the oracle weights (alexnet-small, 2 steps)', async (t) => {
  if (!available.ok) {
    t.skip(available.reason);
    return;
  }
  const spec = getModel('alexnet-small');
  const oracle = await run(spec, 4, 2);
  const dir = tempDir(t, 'gpu-spill');
  {
    const cases: [string, Partial<MemoryConfig>][] = [
      ['none (vDNN)', { policy: 'all', codec: { id: 'none' } }],
      ['rle (engine thread)', { policy: 'all', codec: { id: 'rle' } }],
      ['zvc, conv only', { policy: 'conv', codec: { id: 'zvc' } }],
      [
        'zvc, spill files',
        { policy: 'all', codec: { id: 'zvc' }, hostStore: { kind: 'spill', dir } },
      ],
      ['zvc, not at the source', { policy: 'all', codec: { id: 'zvc' }, atSource: false }],
    ];
    for (const [what, over] of cases) {
      const r = await run(spec, 4, 2, over);
      assert.equal(r.hash, oracle.hash, `${what}: weights differ from the oracle`);
      assert.ok(r.raw > 0, `${what}: nothing was offloaded`);
    }
  }
});

test('on webgpu a budget that forces offloading holds: none is refused, all fits under it', async (t) => {
  if (!available.ok) {
    t.skip(available.reason);
    return;
  }
  const spec = getModel('squeezenet-small');
  const oracle = await run(spec, 8, 1);
  const free = await run(spec, 8, 1, { policy: 'all', codec: { id: 'zvc' } });
  const est = free.estimates!;
  assert.ok(est.all < est.none, `offloading saves nothing here (${est.all} vs ${est.none})`);
  // Between what everything offloaded and nothing offloaded are estimated to need.
  const budgetBytes = Math.floor((est.all + est.none) / 2);
  const none = await MemoryManager.create({
    config: { ...DEFAULT_MEMORY_CONFIG, policy: 'none', budgetBytes },
    spec,
    batch: 8,
  });
  try {
    assert.throws(() => none.beginStep(0), DeviceMemoryError);
  } finally {
    await none.close();
  }
  const all = await run(spec, 8, 1, { policy: 'all', codec: { id: 'zvc' }, budgetBytes });
  t.diagnostic(
    `oracle peak ${oracle.peak} bytes, budget ${budgetBytes}, policy all peak ${all.peak}`,
  );
  assert.equal(all.hash, oracle.hash);
  assert.ok(all.peak <= budgetBytes, `peak ${all.peak} passed the budget ${budgetBytes}`);
});

test('cdma train, compare and study run with --backend webgpu and a policy; train offloads losslessly', async (t) => {
  if (!available.ok) {
    t.skip(available.reason);
    return;
  }
  const common = ['--model', 'alexnet-small', '--batch', '2', '--steps', '2', '--quiet', '--json'];
  const train = async (...extra: string[]) => {
    const r = await runCliProcess([
      'train',
      '--backend',
      'webgpu',
      ...common,
      '--limit',
      '4',
      '--test-limit',
      '2',
      ...extra,
    ]);
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out) as {
      weightsSha256: string;
      memory?: { policy: string; codec: string; ratio: number };
    };
  };
  const oracle = await train();
  const cdma = await train('--policy', 'all', '--codec', 'zvc');
  assert.equal(cdma.weightsSha256, oracle.weightsSha256);
  assert.equal(cdma.memory?.policy, 'all');
  assert.ok((cdma.memory?.ratio ?? 0) > 1, `ratio ${cdma.memory?.ratio}`);

  const compare = await runCliProcess(['compare', '--backend', 'webgpu', ...common]);
  assert.equal(compare.code, 0, compare.err);
  const c = JSON.parse(compare.out) as { status: string; weightsMatch: boolean };
  assert.equal(c.status, 'ok');
  assert.equal(c.weightsMatch, true, 'compare: weights differ between runs');

  const out = tempDir(t, 'gpu-study');
  const study = await runCliProcess([
    'study',
    '--backend',
    'webgpu',
    '--out',
    out,
    '--models',
    'alexnet',
    '--steps',
    '2',
    '--every',
    '1',
    '--batch',
    '2',
    '--limit',
    '4',
    '--quiet',
  ]);
  assert.equal(study.code, 0, study.err);
  assert.ok(existsSync(join(out, 'results.json')), 'study wrote no results.json');
});

test("on webgpu the wasm heap's limits do not apply: no default device limit, no heap check; --budget still does", async (t) => {
  if (!available.ok) {
    t.skip(available.reason);
    return;
  }
  const big: PeakEstimate = {
    peakBytes: 8 * 1024 ** 3,
    heapBytes: 20 * 1024 ** 3,
    layer: 'conv1',
    phase: 'backward',
    tensorBytes: 8 * 1024 ** 3,
    tensorLayer: 'conv1',
    tensorPhase: 'backward',
    temporaryBytes: 0,
  };
  await initBackend('wasm');
  assert.equal(fitsEstimate(big, undefined), false, 'wasm: past the heap');
  await initBackend('webgpu');
  assert.equal(defaultDeviceLimitBytes(tf.getBackend()), Infinity);
  assert.equal(fitsEstimate(big, undefined), true, 'webgpu: no heap limit');
  assert.equal(fitsEstimate(big, 4 * 1024 ** 3), false, 'webgpu: the budget holds');
});

test('on webgpu a copy across the link that fails (a lost device) ends the run with a TransferEngineError', async (t) => {
  if (!available.ok) {
    t.skip(available.reason);
    return;
  }
  const original = GpuSource.prototype.offloadSealed;
  GpuSource.prototype.offloadSealed = () => Promise.reject(new Error('GPU device was lost'));
  try {
    await assert.rejects(
      run(getModel('nin-small'), 2, 1, { policy: 'all', codec: { id: 'zvc' } }),
      (e: unknown) =>
        e instanceof TransferEngineError &&
        /offloading .* from the GPU failed: GPU device was lost/.test(e.message),
    );
  } finally {
    GpuSource.prototype.offloadSealed = original;
  }
});
