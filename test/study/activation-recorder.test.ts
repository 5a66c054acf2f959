import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/errors.js';
import { getModel } from '../../src/nn/zoo/index.js';
import { ActivationRecorder } from '../../src/study/activation-recorder.js';
import { loadDataset } from '../../src/data/prepare.js';
import { train } from '../../src/train/trainer.js';

const spec = getModel('nin-small');

test('ActivationRecorder refuses unknown options and bad values, naming them', () => {
  assert.throws(
    () => ActivationRecorder.create(spec, { evry: 2 } as never),
    /unknown activation recorder option 'evry'/,
  );
  assert.throws(() => ActivationRecorder.create(spec, { every: 0 }), InvalidArgumentError);
  assert.throws(() => ActivationRecorder.create(spec, { zlibLevel: 10 }), /zlibLevel/);
});

test('ActivationRecorder measures every target at steps 1, 1+K, ... and leaves training unchanged', async () => {
  const dataset = loadDataset('mnist', { limit: 64, testLimit: 32 });
  const seen: number[] = [];
  const rec = ActivationRecorder.create(spec, {
    every: 3,
    onRecord: (r) => void seen.push(r.step),
  });
  const options = { model: spec, dataset, batch: 8, steps: 5, lr: 0.02, seed: 4 };
  const recorded = await train({ ...options, ...rec.hooks() });
  const plain = await train(options);
  assert.equal(recorded.weightsSha256, plain.weightsSha256);
  assert.deepEqual(seen, [0, 3]);
  assert.deepEqual(
    rec.records.map((r) => r.step),
    [0, 3],
  );
  for (const r of rec.records) {
    assert.deepEqual(
      r.tensors.map((t) => `${t.layer}/${t.role}`),
      rec.targets.map((t) => `${t.layer}/${t.role}`),
    );
    for (const t of r.tensors) {
      assert.ok(t.density >= 0 && t.density <= 1, `${t.layer} density ${t.density}`);
      assert.ok(t.ratios.zvc.nchw > 0);
    }
  }
});
