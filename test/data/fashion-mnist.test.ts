import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, loadRawDataset } from '../../src/data/source.js';

const skip = existsSync(FASHION_MNIST_DIR)
  ? false
  : `${FASHION_MNIST_DIR} is absent (apt-get install dataset-fashion-mnist)`;

test(
  'Fashion-MNIST from the Debian package: 60,000 + 10,000 28x28 images in 10 classes',
  { skip },
  () => {
    const d = loadRawDataset('fashion-mnist');
    assert.equal(d.name, `fashion-mnist:${FASHION_MNIST_DIR}`);
    assert.deepEqual(d.shape, [1, 28, 28]);
    assert.equal(d.train.count, 60000);
    assert.equal(d.test.count, 10000);
    assert.deepEqual(d.classNames, FASHION_MNIST_CLASSES);
    const perClass = new Array(10).fill(0);
    for (const l of d.test.labels) perClass[l]++;
    assert.deepEqual(perClass, new Array(10).fill(1000));
    const small = loadRawDataset('fashion-mnist', { limit: 600, testLimit: 50 });
    assert.equal(small.train.count, 600);
    assert.equal(small.test.pixels.length, 50 * 784);
  },
);
