// The budget holds: under a budget below the oracle's peak, the executor's
// measured peak stays at or under it for every policy that the plan says
// fits, the estimate equals what the executor measures, and a budget that no
// policy (or not the chosen one) can meet stops training before the first
// step with an error naming the layer, the bytes and a policy that fits.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/nn/backend.js';
import { getModel, listModels } from '../../src/nn/zoo/index.js';
import { MemoryManager } from '../../src/memory/manager.js';
import { DEFAULT_MEMORY_CONFIG } from '../../src/memory/config.js';
import { DeviceMemoryError } from '../../src/errors.js';
import { runSteps } from './train-helper.js';

before(async () => {
  await initBackend('wasm');
});

const spec = () => getModel('googlenet-small');
const BATCH = 4;

async function withManager<T>(
  over: Partial<typeof DEFAULT_MEMORY_CONFIG>,
  f: (m: MemoryManager) => Promise<T>,
): Promise<T> {
  const m = await MemoryManager.create({
    config: { ...DEFAULT_MEMORY_CONFIG, ...over },
    spec: spec(),
    batch: BATCH,
  });
  try {
    return await f(m);
  } finally {
    await m.close();
  }
}

test('the estimate is what the executor measures, for every -small network and static policy', async () => {
  for (const name of listModels()
    .map((x) => x.name)
    .filter((n) => n.endsWith('-small'))) {
    const s = getModel(name);
    for (const policy of ['none', 'conv', 'all'] as const) {
      const m = await MemoryManager.create({
        config: { ...DEFAULT_MEMORY_CONFIG, policy },
        spec: s,
        batch: BATCH,
      });
      try {
        const r = await runSteps(s, { batch: BATCH, steps: 2, store: m });
        const e = m.budgetPlan!.estimates[policy];
        assert.equal(r.peak, e.tensorBytes, `${name} ${policy}`);
        // The budget checks more than the tensors (the temporaries); the heap check adds the margin.
        assert.ok(e.peakBytes > e.tensorBytes, `${name} ${policy}: no temporaries`);
        assert.ok(e.heapBytes > e.peakBytes, `${name} ${policy}: no margin`);
      } finally {
        await m.close();
      }
    }
  }
});

test('a budget below the oracle peak holds for all, conv and dyn', async () => {
  const oracle = await runSteps(spec(), { batch: BATCH, steps: 3 });
  const est = await withManager({ policy: 'all' }, async (m) => {
    await runSteps(spec(), { batch: BATCH, steps: 1, store: m });
    return m.budgetPlan!.estimates;
  });
  assert.equal(est.none.tensorBytes, oracle.peak);
  assert.ok(est.all.peakBytes < est.conv.peakBytes && est.conv.peakBytes < est.none.peakBytes);
  // Between conv and the oracle: all, conv and dyn fit.
  const budget = Math.floor((est.conv.peakBytes + est.none.peakBytes) / 2);
  for (const policy of ['all', 'conv', 'dyn'] as const) {
    await withManager({ policy, budgetBytes: budget }, async (m) => {
      const r = await runSteps(spec(), {
        batch: BATCH,
        steps: 3,
        store: m,
        deviceLimitBytes: budget,
      });
      assert.ok(r.peak <= budget, `${policy}: peak ${r.peak} > budget ${budget}`);
      assert.equal(r.hash, oracle.hash);
      if (policy === 'dyn') {
        const choice = m.dynChoice!;
        assert.ok(choice.fits && choice.peakBytes <= budget);
        assert.ok(choice.plan.length > 0, 'dyn must offload something under this budget');
        assert.ok(m.steps[2].plan.startsWith('dyn:'));
      }
    });
  }
  // Between all and conv: only all fits; dyn finds a plan that fits too.
  const tight = Math.floor((est.all.peakBytes + est.conv.peakBytes) / 2);
  for (const policy of ['all', 'dyn'] as const) {
    await withManager({ policy, budgetBytes: tight }, async (m) => {
      const r = await runSteps(spec(), {
        batch: BATCH,
        steps: 3,
        store: m,
        deviceLimitBytes: tight,
      });
      assert.ok(r.peak <= tight, `${policy}: peak ${r.peak} > budget ${tight}`);
      assert.equal(r.hash, oracle.hash);
    });
  }
});

test('a budget the policy cannot meet stops before the first step, naming layer, bytes and a policy', async () => {
  const est = await withManager({ policy: 'all' }, async (m) => {
    await runSteps(spec(), { batch: BATCH, steps: 1, store: m });
    return m.budgetPlan!.estimates;
  });
  const budget = Math.floor((est.all.peakBytes + est.conv.peakBytes) / 2);
  await withManager({ policy: 'conv', budgetBytes: budget }, async (m) => {
    await assert.rejects(runSteps(spec(), { batch: BATCH, steps: 2, store: m }), (e: unknown) => {
      assert.ok(e instanceof DeviceMemoryError);
      const msg = (e as Error).message;
      assert.match(msg, /policy conv/);
      assert.match(msg, new RegExp(`layer ${est.conv.layer}`));
      assert.match(msg, /MiB/);
      assert.match(msg, /use --policy all/);
      return true;
    });
    assert.equal(m.steps.length, 0, 'no step ran');
  });
  await withManager({ policy: 'dyn', budgetBytes: est.all.peakBytes - 1 }, async (m) => {
    await assert.rejects(runSteps(spec(), { batch: BATCH, steps: 1, store: m }), /no policy fits/);
  });
});

test('dyn without a budget keeps everything when it fits the device', async () => {
  await withManager({ policy: 'dyn' }, async (m) => {
    await runSteps(spec(), { batch: BATCH, steps: 2, store: m });
    assert.equal(m.planName, 'dyn:none');
    assert.equal(m.steps[0].offloadedRawBytes + m.steps[1].offloadedRawBytes, 0);
  });
});
