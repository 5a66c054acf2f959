import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/errors.js';
import { FASHION_MNIST_DIR, loadRawDataset, parseDatasetSpec } from '../../src/data/source.js';
import { evenIndices } from '../../src/data/raw.js';

test('dataset specs parse to a kind and a directory', () => {
  assert.deepEqual(parseDatasetSpec('mnist'), { kind: 'mnist', spec: 'mnist' });
  assert.deepEqual(parseDatasetSpec('mnist:/d'), {
    kind: 'mnist-idx',
    dir: '/d',
    spec: 'mnist:/d',
  });
  assert.deepEqual(parseDatasetSpec('fashion-mnist'), {
    kind: 'fashion-mnist',
    dir: FASHION_MNIST_DIR,
    spec: `fashion-mnist:${FASHION_MNIST_DIR}`,
  });
  assert.equal(parseDatasetSpec('idx:/a:b').dir, '/a:b');
  assert.equal(parseDatasetSpec('CIFAR10:/c').kind, 'cifar10');
  assert.equal(parseDatasetSpec('images:rel/dir').dir, 'rel/dir');
});

test('bad specs and limits are InvalidArgumentErrors naming the valid forms', () => {
  assert.throws(
    () => parseDatasetSpec('imagenet'),
    (e: unknown) => e instanceof InvalidArgumentError && /use mnist, mnist:DIR/.test(e.message),
  );
  assert.throws(() => parseDatasetSpec('cifar10'), /needs a directory; write cifar10:DIR/);
  assert.throws(() => parseDatasetSpec('idx:'), /names no directory/);
  assert.throws(() => loadRawDataset('mnist', { limit: 0 }), /limit must be a positive integer/);
  assert.throws(
    () => loadRawDataset('mnist', { testLimit: 1.5 }),
    /test limit must be a positive integer/,
  );
});

test('limits pick evenly spaced indices', () => {
  assert.deepEqual([...evenIndices(10, 3)], [0, 3, 6]);
  assert.deepEqual([...evenIndices(3, 10)], [0, 1, 2]);
  assert.deepEqual([...evenIndices(4, undefined)], [0, 1, 2, 3]);
});
