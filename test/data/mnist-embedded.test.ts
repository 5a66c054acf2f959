import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { InputFileError } from '../../src/errors.js';
import { parseDigitJson } from '../../src/data/mnist-json.js';
import { loadEmbeddedMnist, readEmbeddedDigits } from '../../src/data/mnist-embedded.js';
import { loadDataset } from '../../src/data/prepare.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('the digit-file scanner reads numbers in [0, 1] as bytes and rejects anything else', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.deepEqual(
    [...parseDigitJson(enc('{"data":[0,1,0.5,0.992, 0.0039 ]}'), 'f')],
    [0, 255, 128, 253, 1],
  );
  assert.deepEqual([...parseDigitJson(enc(' { "data" : [ ] }'), 'f')], []);
  for (const bad of [
    '[0,1]',
    '{"data":[0,',
    '{"data":[1.5]}',
    '{"data":[2]}',
    '{"data":[-1]}',
    '{"data":[0 1]}',
    '{"data":[0.]}',
    '{"data":[0,]}',
  ]) {
    assert.throws(() => parseDigitJson(enc(bad), 'f'), InputFileError, bad);
  }
});

test('the embedded MNIST: 10,000 real digits split 8,000 / 2,000, the same every time', () => {
  const all = readEmbeddedDigits();
  assert.equal(all.count, 10000);
  const d = loadEmbeddedMnist();
  assert.deepEqual(d.shape, [1, 28, 28]);
  assert.equal(d.train.count, 8000);
  assert.equal(d.test.count, 2000);
  const perClass = new Array(10).fill(0);
  for (const l of d.test.labels) perClass[l]++;
  assert.ok(
    perClass.every((n) => n >= 150),
    `every class in the test split: ${perClass}`,
  );
  // Train and test together are exactly the package's 10,000 images (a split, not a sample).
  const key = (px: Uint8Array, i: number) => sha(px.subarray(i * 784, (i + 1) * 784));
  const bag = (s: typeof all) => Array.from({ length: s.count }, (_, i) => key(s.pixels, i)).sort();
  assert.deepEqual([...bag(d.train), ...bag(d.test)].sort(), bag(all));
  // Real digits: mostly background, with strokes.
  let zeros = 0;
  for (const v of d.train.pixels) zeros += v === 0 ? 1 : 0;
  assert.ok(zeros / d.train.pixels.length > 0.7 && zeros / d.train.pixels.length < 0.95);
  const again = loadEmbeddedMnist();
  assert.equal(sha(again.train.pixels), sha(d.train.pixels));
  assert.deepEqual(again.test.labels, d.test.labels);
});

test('loadDataset("mnist") with limits gives normalised float images of the asked shape', () => {
  const d = loadDataset('mnist', { limit: 500, testLimit: 100, shape: [3, 32, 32] });
  assert.equal(d.name, 'mnist');
  assert.deepEqual(d.shape, [3, 32, 32]);
  assert.equal(d.train.images.length, 500 * 3 * 32 * 32);
  assert.equal(d.test.count, 100);
  let sum = 0;
  for (const v of d.train.images) sum += v;
  assert.ok(Math.abs(sum / d.train.images.length) < 1e-3);
});
