/** SGD with momentum and weight decay against the formula, step by step. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../../src/errors.js';
import { initBackend } from '../../src/nn/backend.js';
import type { Param } from '../../src/nn/param.js';
import { Sgd } from '../../src/train/sgd.js';

function param(name: string, values: number[], decay: boolean): Param {
  return { name, value: tf.variable(tf.tensor1d(values)), grad: null, decay, slots: [] };
}

describe('Sgd', () => {
  before(() => initBackend('wasm'));
  after(() => initBackend('wasm'));

  for (const backend of ['wasm', 'cpu'] as const)
    test(`momentum and decay follow v = m v + (g + wd w), w -= lr v; grads are consumed (${backend})`, async () => {
      await initBackend(backend);
      const lr = 0.1;
      const m = 0.9;
      const wd = 0.01;
      const w = param('l/weight', [1, -2], true);
      const b = param('l/bias', [0.5, 0.5], false);
      const sgd = new Sgd({ lr, momentum: m, weightDecay: wd });
      const grads = [
        [0.3, -0.1],
        [0.2, 0.4],
      ];
      let ew = [1, -2];
      let eb = [0.5, 0.5];
      let vw = [0, 0];
      let vb = [0, 0];
      for (let s = 0; s < 3; s++) {
        const gw = grads[s % 2];
        const gb = grads[(s + 1) % 2];
        w.grad = tf.tensor1d(gw);
        b.grad = tf.tensor1d(gb);
        const consumed = [w.grad, b.grad];
        sgd.step([w, b]);
        assert.ok(consumed.every((t) => t.isDisposed));
        assert.equal(w.grad, null);
        vw = vw.map((v, i) => (s === 0 ? 0 : m * v) + gw[i] + wd * ew[i]);
        vb = vb.map((v, i) => (s === 0 ? 0 : m * v) + gb[i]);
        ew = ew.map((x, i) => x - lr * vw[i]);
        eb = eb.map((x, i) => x - lr * vb[i]);
        Array.from(w.value.dataSync()).forEach((x, i) => assert.ok(Math.abs(x - ew[i]) < 1e-6));
        Array.from(b.value.dataSync()).forEach((x, i) => assert.ok(Math.abs(x - eb[i]) < 1e-6));
      }
      assert.equal(w.slots.length, 1);
      const before = tf.memory().numTensors;
      sgd.dispose();
      assert.equal(tf.memory().numTensors, before - 2);
      assert.deepEqual(w.slots, []);
      tf.dispose([w.value, b.value]);
    });

  test('without momentum it keeps no state; parameters without a gradient are left alone', () => {
    const w = param('l/weight', [1, 2], true);
    const u = param('u/weight', [3, 4], true);
    const sgd = new Sgd({ lr: 0.5 });
    w.grad = tf.tensor1d([1, 1]);
    sgd.step([w, u]);
    assert.deepEqual(Array.from(w.value.dataSync()), [0.5, 1.5]);
    assert.deepEqual(Array.from(u.value.dataSync()), [3, 4]);
    assert.deepEqual(w.slots, []);
    tf.dispose([w.value, u.value]);
  });

  test('setLearningRate changes the next updates and keeps the momentum', () => {
    const w = param('l/weight', [1], false);
    const sgd = new Sgd({ lr: 0.1, momentum: 0.9 });
    w.grad = tf.tensor1d([1]);
    sgd.step([w]); // v = 1, w = 1 - 0.1
    sgd.setLearningRate(0.5);
    assert.equal(sgd.lr, 0.5);
    w.grad = tf.tensor1d([1]);
    sgd.step([w]); // v = 0.9 + 1, w = 0.9 - 0.5 * 1.9
    assert.ok(Math.abs(w.value.dataSync()[0] - (0.9 - 0.5 * 1.9)) < 1e-6);
    for (const bad of [0, -1, NaN, Infinity]) {
      assert.throws(() => sgd.setLearningRate(bad), InvalidArgumentError, String(bad));
    }
    assert.equal(sgd.lr, 0.5, 'a rejected rate leaves the rate as it was');
    sgd.dispose();
    w.value.dispose();
  });

  test('rejects nonsense hyper-parameters', () => {
    assert.throws(() => new Sgd({ lr: 0 }), InvalidArgumentError);
    assert.throws(() => new Sgd({ lr: 0.1, momentum: 1 }), InvalidArgumentError);
    assert.throws(() => new Sgd({ lr: 0.1, weightDecay: -1 }), InvalidArgumentError);
    assert.throws(() => new Sgd({ lr: NaN }), InvalidArgumentError);
  });
});
