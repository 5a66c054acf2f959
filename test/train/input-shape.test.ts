import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/errors.js';
import { chooseInputShape } from '../../src/train/input-shape.js';
import { listModels } from '../../src/nn/zoo/index.js';

test("a -small network trains at the dataset's own shape", () => {
  assert.deepEqual(chooseInputShape('alexnet-small', [1, 28, 28], 10), {
    shape: [1, 28, 28],
    source: 'dataset',
  });
  assert.deepEqual(chooseInputShape('alexnet-small', [3, 32, 32], 10), {
    shape: [3, 32, 32],
    source: 'dataset',
  });
});

test("a network that cannot take the dataset's shape falls back to its own input", () => {
  const alexnet = listModels().find((m) => m.name === 'alexnet')!;
  const choice = chooseInputShape('alexnet', [1, 28, 28], 10);
  assert.deepEqual(choice, { shape: alexnet.inputShape, source: 'model' });
});

test('a requested shape is used when the network takes it; unknown models are refused', () => {
  assert.deepEqual(chooseInputShape('alexnet-small', [1, 28, 28], 10, [3, 32, 32]), {
    shape: [3, 32, 32],
    source: 'requested',
  });
  assert.throws(
    () => chooseInputShape('alexnet-small', [1, 28, 28], 10, [1, 4, 4]),
    InvalidArgumentError,
  );
  assert.throws(() => chooseInputShape('lenet', [1, 28, 28], 10), /unknown model 'lenet'/);
});
