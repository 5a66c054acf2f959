// The heap watermark sees what kernels write, and the per-kind temporaries
// model of src/plan/temporaries.ts bounds every layer's measured
// temporaries (forward and backward) on the wasm backend. The full table over
// the seven -small networks at batches 16 and 64 is `npm run measure:temporaries`.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/nn/backend.js';
import { getModel } from '../../src/nn/zoo/index.js';
import { measureTemporaries } from '../../src/memory/temporaries-probe.js';

before(async () => {
  await initBackend('wasm');
});

test('the temporaries model bounds every measured layer', () => {
  for (const [net, batch] of [
    ['alexnet-small', 8],
    ['resnet18-small', 8],
    ['googlenet-small', 4],
  ] as const) {
    const rows = measureTemporaries(getModel(net), batch);
    assert.ok(
      rows.some((r) => r.measuredBytes > 256 * 1024),
      `${net}: nothing measured`,
    );
    for (const r of rows) {
      assert.ok(
        r.measuredBytes <= r.modelBytes,
        `${net} ${r.layer} ${r.phase}: measured ${r.measuredBytes} > model ${r.modelBytes}`,
      );
    }
  }
});
