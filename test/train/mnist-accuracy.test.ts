import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDataset } from '../../src/data/prepare.js';
import { train } from '../../src/train/trainer.js';

// The README's job (cdma train --model resnet18-small --dataset mnist
// --epochs 1, whose defaults are these): one epoch of the 8,000 embedded
// training digits, about 45 s of one core of the development machine on the
// wasm backend; 97.05% with this seed when it was written.
test('resnet18-small learns the embedded MNIST: >= 95% test accuracy after one epoch', async () => {
  const dataset = loadDataset('mnist');
  const s = await train({
    model: 'resnet18-small',
    dataset,
    batch: 32,
    epochs: 1,
    lr: 0.02,
    lrSchedule: 'linear',
    seed: 1,
  });
  assert.equal(s.steps, 250);
  assert.equal(s.testImages, 2000);
  assert.ok(s.testAccuracy >= 0.95, `test accuracy ${s.testAccuracy}`);
  assert.ok(
    s.finalLoss < s.records[0].loss / 5,
    `loss fell from ${s.records[0].loss} to ${s.finalLoss}`,
  );
});
