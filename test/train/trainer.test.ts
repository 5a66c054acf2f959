import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/errors.js';
import { loadDataset } from '../../src/data/prepare.js';
import { Executor } from '../../src/nn/executor.js';
import { KeepStore } from '../../src/nn/keep-store.js';
import type { SavedHandle } from '../../src/nn/store.js';
import { TrainingDivergedError } from '../../src/train/diverged.js';
import { train, type StepRecord, type TrainOptions } from '../../src/train/trainer.js';

// A small slice of the embedded digits keeps the determinism runs short.
const small = loadDataset('mnist', { limit: 96, testLimit: 50 });
const short = (seed: number): TrainOptions => ({
  model: 'resnet18-small',
  dataset: small,
  batch: 16,
  steps: 4,
  lr: 0.02,
  seed,
});

test('same seed, bit-identical weights and losses; another seed, other weights', async () => {
  const a = await train(short(11));
  const b = await train(short(11));
  const c = await train(short(12));
  assert.match(a.weightsSha256, /^[0-9a-f]{64}$/);
  assert.equal(a.weightsSha256, b.weightsSha256);
  assert.deepEqual(
    a.records.map((r) => r.loss),
    b.records.map((r) => r.loss),
  );
  assert.equal(a.testAccuracy, b.testAccuracy);
  assert.notEqual(a.weightsSha256, c.weightsSha256);
  // The summary describes the run.
  assert.equal(a.steps, 4);
  assert.equal(a.records.length, 4);
  assert.deepEqual(
    a.records.map((r) => r.step),
    [1, 2, 3, 4],
  );
  assert.equal(a.epochs, 4 / 6);
  assert.equal(a.trainImages, 96);
  assert.equal(a.testImages, 50);
  assert.ok(
    a.peakDeviceBytes > 0 && a.records.every((r) => r.peakDeviceBytes <= a.peakDeviceBytes),
  );
  assert.ok(Number.isFinite(a.finalLoss) && a.imagesPerSec > 0);
});

test('bad training options are InvalidArgumentErrors', async () => {
  const base = short(1);
  const bad: Partial<TrainOptions>[] = [
    { steps: 2, epochs: 1 },
    { steps: undefined },
    { batch: 97 },
    { batch: 0 },
    { lr: -1 },
    { steps: 1.5 },
    { seed: 0.5 },
    { model: 'no-such-model' },
  ];
  for (const patch of bad) {
    await assert.rejects(train({ ...base, ...patch }), InvalidArgumentError, JSON.stringify(patch));
  }
});

test('a loss that is not finite stops training at that step with a DIVERGED error', async () => {
  const steps: StepRecord[] = [];
  const run = train({
    ...short(1),
    model: 'nin-small',
    batch: 8,
    steps: 6,
    lr: 1e30,
    onStep: (r) => void steps.push(r),
  });
  await assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof TrainingDivergedError, String(e));
    assert.equal(e.code, 'DIVERGED');
    assert.equal(e.step, steps.length + 1, 'the step after the last finite one');
    assert.ok(!Number.isFinite(e.loss));
    assert.match(
      e.message,
      /^training diverged at step \d+: the loss is (NaN|-?Infinity); lower --lr \(it is 1e\+30\)$/,
    );
    return true;
  });
  assert.ok(steps.length < 6, 'no step ran after the loss stopped being finite');
  assert.ok(steps.every((r) => Number.isFinite(r.loss)));
});

test('epochs: callbacks per step and per epoch, test accuracy after each epoch', async () => {
  const tiny = loadDataset('mnist', { limit: 40, testLimit: 30 });
  const steps: number[] = [];
  const epochs: number[] = [];
  let evalCalls = 0;
  const s = await train({
    model: 'resnet18-small',
    dataset: tiny,
    batch: 16,
    epochs: 2,
    lr: 0.01,
    seed: 3,
    evalEachEpoch: true,
    evalBatch: 20,
    onStep: (r) => void steps.push(r.step),
    onEpoch: (e) => void epochs.push(e.epoch),
    onEval: () => void evalCalls++,
  });
  assert.equal(
    s.steps,
    4,
    '40 images at batch 16: 2 steps per epoch (the partial batch is dropped)',
  );
  assert.deepEqual(steps, [1, 2, 3, 4]);
  assert.deepEqual(epochs, [1, 2]);
  assert.deepEqual(
    s.records.map((r) => r.epoch),
    [1, 1, 2, 2],
  );
  assert.equal(s.epochRecords.length, 2);
  for (const e of s.epochRecords) {
    assert.equal(e.steps, 2);
    assert.ok(e.testAccuracy !== undefined && e.testAccuracy >= 0 && e.testAccuracy <= 1);
  }
  assert.equal(
    s.epochRecords[1].testAccuracy,
    s.testAccuracy,
    'the last epoch reports the final evaluation',
  );
  assert.equal(evalCalls, 4, 'two evaluations (after epoch 1 and at the end) of two chunks each');
});

test("a failed step's error is the one reported, even when freeing afterwards fails", async () => {
  class BrokenStore extends KeepStore {
    override unpack(_h: SavedHandle): never {
      throw new Error('unpack broke');
    }
  }
  // Freeing after a broken wasm heap can trap too; that must not hide the cause.
  const dispose = Object.getOwnPropertyDescriptor(Executor.prototype, 'dispose');
  Executor.prototype.dispose = function (this: Executor) {
    dispose?.value.call(this);
    throw new Error('memory access out of bounds');
  };
  try {
    await assert.rejects(train({ ...short(1), steps: 1, store: new BrokenStore() }), {
      message: 'unpack broke',
    });
    // Without an earlier failure a cleanup error is not swallowed.
    await assert.rejects(train({ ...short(1), steps: 1 }), {
      message: 'memory access out of bounds',
    });
  } finally {
    if (dispose) Object.defineProperty(Executor.prototype, 'dispose', dispose);
  }
});
