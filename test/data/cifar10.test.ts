import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { InputFileError } from '../../src/errors.js';
import { CIFAR10_CLASSES } from '../../src/data/cifar10.js';
import { loadRawDataset } from '../../src/data/source.js';
import { cifarBatch, tempDir, writeFile } from './helpers.js';

test('CIFAR-10 batches load in numeric order with planes turned into HWC pixels', (t) => {
  const dir = tempDir(t);
  // data_batch_10 must come after data_batch_2 (numeric, not lexical order).
  writeFile(join(dir, 'data_batch_2.bin'), cifarBatch([3, 4], 2));
  writeFile(join(dir, 'data_batch_1.bin'), cifarBatch([1, 2], 0));
  writeFile(join(dir, 'data_batch_10.bin'), cifarBatch([9], 4));
  writeFile(join(dir, 'test_batch.bin'), cifarBatch([7, 8, 0], 100));
  const d = loadRawDataset(`cifar10:${dir}`);
  assert.deepEqual(d.shape, [3, 32, 32]);
  assert.equal(d.numClasses, 10);
  assert.deepEqual(d.classNames, CIFAR10_CLASSES);
  assert.deepEqual([...d.train.labels], [1, 2, 3, 4, 9]);
  assert.deepEqual([...d.test.labels], [7, 8, 0]);
  // image n, pixel p, channel c = (n + 50c + p) & 255
  for (const [n, p, c] of [
    [0, 0, 0],
    [3, 5, 1],
    [4, 1023, 2],
  ]) {
    assert.equal(d.train.pixels[n * 3072 + 3 * p + c], (n + 50 * c + p) & 0xff);
  }
  assert.equal(d.test.pixels[2 * 3072 + 3 * 7 + 2], (102 + 100 + 7) & 0xff);
});

test('batches.meta.txt names the classes when it lists ten', (t) => {
  const dir = tempDir(t);
  writeFile(join(dir, 'data_batch_1.bin'), cifarBatch([1], 0));
  writeFile(join(dir, 'test_batch.bin'), cifarBatch([2], 0));
  const names = Array.from({ length: 10 }, (_, i) => `c${i}`);
  writeFile(join(dir, 'batches.meta.txt'), Buffer.from(names.join('\n') + '\n\n'));
  assert.deepEqual(loadRawDataset(`cifar10:${dir}`).classNames, names);
});

test('malformed CIFAR-10 directories give one-line InputFileErrors', (t) => {
  const dir = tempDir(t);
  const one = (re: RegExp) =>
    assert.throws(
      () => loadRawDataset(`cifar10:${dir}`),
      (e: unknown) =>
        e instanceof InputFileError && re.test(e.message) && !e.message.includes('\n'),
    );
  one(/no data_batch_\*\.bin/);
  writeFile(join(dir, 'data_batch_1.bin'), cifarBatch([1, 2], 0));
  one(/no test_batch\.bin/);
  writeFile(join(dir, 'test_batch.bin'), cifarBatch([1, 2], 0).subarray(0, 5000));
  one(/5000 bytes, not a whole number of 3073-byte/);
  writeFile(join(dir, 'test_batch.bin'), new Uint8Array(0));
  one(/0 bytes/);
  writeFile(join(dir, 'test_batch.bin'), cifarBatch([1, 12], 0));
  one(/label 12 at index 1/);
  assert.throws(() => loadRawDataset(`cifar10:${join(dir, 'x')}`), /does not exist; download/);
});
