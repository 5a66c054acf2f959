// With the same seed, every policy and codec trains to bit-identical weights
// (the executor's SHA-256 over parameters and batchnorm buffers) as the
// oracle that keeps everything on the device.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/nn/backend.js';
import { getModel } from '../../src/nn/zoo/index.js';
import type { ModelSpec } from '../../src/nn/spec.js';
import { MemoryManager } from '../../src/memory/manager.js';
import { DEFAULT_MEMORY_CONFIG, type MemoryConfig } from '../../src/memory/config.js';
import type { CodecId } from '../../src/codec/codec.js';
import type { PolicyName } from '../../src/plan/index.js';
import { runSteps } from './train-helper.js';

before(async () => {
  await initBackend('wasm');
});

async function managed(
  spec: ModelSpec,
  batch: number,
  steps: number,
  over: Partial<MemoryConfig>,
): Promise<{ hash: string; peak: number; offloaded: number; liveEntries: number }> {
  const m = await MemoryManager.create({
    config: { ...DEFAULT_MEMORY_CONFIG, ...over },
    spec,
    batch,
  });
  try {
    const r = await runSteps(spec, { batch, steps, store: m, deviceLimitBytes: over.budgetBytes });
    const offloaded = m.steps.reduce((a, s) => a + s.offloadedRawBytes, 0);
    return { hash: r.hash, peak: r.peak, offloaded, liveEntries: m.liveEntries };
  } finally {
    await m.close();
  }
}

test('every static policy x codec gives the oracle weights (alexnet-small: LRN, dropout, grouped conv)', async () => {
  const spec = getModel('alexnet-small');
  const oracle = await runSteps(spec, { batch: 4, steps: 2 });
  const policies: PolicyName[] = ['none', 'all', 'conv'];
  const codecs: CodecId[] = ['none', 'zvc', 'rle', 'zlib'];
  for (const policy of policies) {
    for (const codec of codecs) {
      const r = await managed(spec, 4, 2, { policy, codec: { id: codec } });
      assert.equal(r.hash, oracle.hash, `${policy}/${codec}: weights differ from the oracle`);
      assert.equal(r.liveEntries, 0, `${policy}/${codec}: entries left after the steps`);
      if (policy === 'none') assert.equal(r.offloaded, 0);
      else assert.ok(r.offloaded > 0, `${policy}/${codec} offloaded nothing`);
    }
  }
});

test('branching networks stay lossless: googlenet-small (concat) and resnet18-small (add, batchnorm)', async () => {
  for (const name of ['googlenet-small', 'resnet18-small']) {
    const spec = getModel(name);
    const oracle = await runSteps(spec, { batch: 4, steps: 2 });
    for (const [policy, codec, ahead] of [
      ['all', 'zvc', 1],
      ['conv', 'zlib', 2],
      ['all', 'none', 0],
    ] as const) {
      const r = await managed(spec, 4, 2, { policy, codec: { id: codec }, prefetchAhead: ahead });
      assert.equal(r.hash, oracle.hash, `${name} ${policy}/${codec}: weights differ`);
    }
  }
});

test('dyn under a budget below the oracle peak offloads and stays lossless with every codec', async () => {
  const spec = getModel('squeezenet-small');
  const oracle = await runSteps(spec, { batch: 4, steps: 2 });
  // The budget's estimates (tensors, kernel temporaries, fragmentation margin)
  // for this run: just below what keeping everything needs, above policy all.
  const est = await (async () => {
    const probe = await MemoryManager.create({
      config: { ...DEFAULT_MEMORY_CONFIG, policy: 'none' },
      spec,
      batch: 4,
    });
    try {
      await runSteps(spec, { batch: 4, steps: 1, store: probe });
      return probe.budgetPlan!.estimates;
    } finally {
      await probe.close();
    }
  })();
  const budgetBytes = est.none.peakBytes - 1;
  assert.ok(est.all.peakBytes <= budgetBytes, 'policy all does not fit below the oracle');
  for (const codec of ['none', 'zvc', 'rle', 'zlib'] as const) {
    const r = await managed(spec, 4, 2, { policy: 'dyn', codec: { id: codec }, budgetBytes });
    assert.equal(r.hash, oracle.hash, `dyn/${codec}: weights differ`);
    assert.ok(r.offloaded > 0);
    assert.ok(r.peak <= budgetBytes, `dyn/${codec}: peak ${r.peak} over budget ${budgetBytes}`);
  }
});

test('spilling to checksummed files is lossless too', async () => {
  const { readdirSync } = await import('node:fs');
  const { makeTempDir, removeDir } = await import('../helpers/tmp.js');
  const dir = makeTempDir('spill-test');
  try {
    const spec = getModel('nin-small');
    const oracle = await runSteps(spec, { batch: 4, steps: 2 });
    const r = await managed(spec, 4, 2, {
      policy: 'all',
      codec: { id: 'zvc' },
      hostStore: { kind: 'spill', dir },
    });
    assert.equal(r.hash, oracle.hash);
    assert.deepEqual(readdirSync(dir), [], 'spill files are removed on close');
  } finally {
    removeDir(dir);
  }
});
