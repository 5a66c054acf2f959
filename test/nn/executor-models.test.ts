/**
 * One training step of every -small zoo network through the executor
 * (wasm, batch 2): every architecture the zoo builds (groups, LRN,
 * inception and fire concats, residual adds with batchnorm, global average
 * pooling) runs forward and backward, gives every parameter a finite
 * gradient and leaves nothing behind.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/nn/backend.js';
import { Executor } from '../../src/nn/executor.js';
import { getModel, listModels } from '../../src/nn/zoo/index.js';
import { rand } from './layer-helpers.js';

describe('executor on the -small zoo networks', () => {
  before(() => initBackend('wasm'));
  for (const { name, inputShape, numClasses } of listModels().filter((m) =>
    m.name.endsWith('-small'),
  )) {
    test(name, async () => {
      const [c, h, w] = inputShape;
      const exec = Executor.create(getModel(name), { seed: 1 });
      const images = rand([2, h, w, c], 3) as tf.Tensor4D;
      const labels = Int32Array.from([0, numClasses - 1]);
      const before = tf.memory().numTensors;
      const r = await exec.trainStep(images, labels, 0);
      assert.ok(Number.isFinite(r.loss) && r.loss > 0, `loss ${r.loss}`);
      for (const p of exec.params) {
        assert.ok(p.grad, `${p.name} has a gradient`);
        const finite = tf.tidy(() => tf.all(tf.isFinite(p.grad!)).dataSync()[0]);
        assert.equal(finite, 1, `${p.name} gradient is finite`);
      }
      // What remains: one gradient per parameter.
      assert.equal(tf.memory().numTensors, before + exec.params.length);
      images.dispose();
      exec.dispose();
    });
  }
});
