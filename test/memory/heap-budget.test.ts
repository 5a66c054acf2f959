// The budget's promise on the real heap: a run the estimate accepts never
// overflows. For every -small network, under a small device limit (so the
// batches are small and the steps fast), the largest batch the estimate
// accepts trains two steps on the wasm backend in a fresh process without a
// DeviceMemoryError, and the heap's real peak (the rise of the allocator's
// break, src/memory/heap-watermark.ts) stays within what the estimate
// reserved for it (its device bytes with the fragmentation margin: what is
// checked against the heap's limit). The same at
// the default limit and at larger ones is `npm run budget:sweep`
// (docs/MEMORY.md, "The budget").
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/nn/backend.js';
import { listModels, getModel } from '../../src/nn/zoo/index.js';
import { ModelPlan } from '../../src/plan/index.js';
import { DEFAULT_DEVICE_LIMIT_BYTES } from '../../src/nn/device-limit.js';
import { locateHeapBreak, readHeapBreak } from '../../src/memory/heap-watermark.js';
import {
  accepts,
  largestAcceptedBatch,
  runInChild,
  type SweepRun,
} from '../../scripts/budget-sweep-run.js';

const LIMIT = 64 * 2 ** 20;
const NETS = listModels()
  .map((m) => m.name)
  .filter((n) => n.endsWith('-small'));

before(async () => {
  await initBackend('wasm');
});

test('the heap break is found and rises exactly with what the allocator claims', () => {
  const backend = tf.backend();
  const hb = locateHeapBreak(backend);
  assert.ok(hb, 'no word tracks the break');
  const b0 = readHeapBreak(backend, hb);
  assert.ok(b0 >= hb.before);
  const memory = (backend as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8;
  assert.ok(b0 <= memory.byteLength);
  // Larger than the whole memory: no free region can hold it, the break must move.
  const n = memory.byteLength + (1 << 20);
  const x = tf.zeros([n / 4]);
  try {
    const b1 = readHeapBreak(backend, hb);
    assert.ok(b1 - b0 >= n && b1 - b0 < n + (1 << 16), `break rose ${b1 - b0} for ${n}`);
    x.dispose();
    // It never falls.
    assert.equal(readHeapBreak(backend, hb), b1);
  } finally {
    if (!x.isDisposed) x.dispose();
  }
});

test('SqueezeNet at 3x224x224, batch 144 (it ran out of heap under the tensors-only estimate) is refused', () => {
  const plan = ModelPlan.of(getModel('squeezenet', { inputShape: [3, 224, 224], numClasses: 10 }));
  // The tensors alone fit the default limit with policy all: the old estimate accepted it.
  const all = plan.peak(plan.offloadSet('all'), 144, 0);
  assert.ok(all.tensorBytes < DEFAULT_DEVICE_LIMIT_BYTES);
  for (const policy of ['all', 'conv', 'none'] as const)
    assert.equal(accepts(plan, policy, 144, DEFAULT_DEVICE_LIMIT_BYTES), false, policy);
});

test(`every -small network at the largest batch the estimate accepts under ${LIMIT / 2 ** 20} MiB stays in the heap`, async () => {
  const batches = NETS.map((net) =>
    largestAcceptedBatch(ModelPlan.of(getModel(net)), 'all', LIMIT),
  );
  for (const [k, net] of NETS.entries()) {
    assert.ok(batches[k] > 0, `${net}: no batch fits`);
    // The search is exact: one more example is refused.
    assert.equal(accepts(ModelPlan.of(getModel(net)), 'all', batches[k] + 1, LIMIT), false, net);
  }
  // Two at a time: each child measures its own heap.
  const runs: SweepRun[] = new Array(NETS.length);
  let next = 0;
  await Promise.all(
    [0, 1].map(async () => {
      while (next < NETS.length) {
        const k = next++;
        runs[k] = await runInChild(NETS[k], batches[k], 'all', LIMIT);
      }
    }),
  );
  for (const r of runs) {
    const what = `${r.net} batch ${r.batch}: heap ${r.heapPeakBytes} of the ${r.heapEstimateBytes} reserved (device estimate ${r.deviceEstimateBytes}, budget ${LIMIT})`;
    assert.equal(r.error, undefined, `${what}: ${r.error}`);
    assert.ok(r.deviceEstimateBytes <= LIMIT, what);
    assert.ok(r.meterPeakBytes <= r.tensorBytes, `${what}: the tensors passed their estimate`);
    assert.ok(
      r.heapPeakBytes <= r.heapEstimateBytes,
      `${what}: the heap passed what the estimate reserved`,
    );
  }
});
