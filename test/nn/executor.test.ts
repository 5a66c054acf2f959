/**
 * The executor on a small DAG that uses every layer kind: gradients against
 * autograd over the same forward pass, determinism, disposal (no leaks),
 * device byte accounting, the device-limit refusal, the store seam and the
 * observer.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers registers tfjs's gradients: autograd is the reference for the hand-written backward passes.
import '@tensorflow/tfjs-layers';
import { DeviceMemoryError, InvalidArgumentError } from '../../src/errors.js';
import { initBackend } from '../../src/nn/backend.js';
import { Executor } from '../../src/nn/executor.js';
import { buildGraph } from '../../src/plan/graph.js';
import { KeepStore } from '../../src/nn/keep-store.js';
import { createLayer } from '../../src/nn/layers/index.js';
import { toNhwc } from '../../src/nn/layers/layer.js';
import type { Param } from '../../src/nn/param.js';
import { SAVED_FOR_BACKWARD } from '../../src/nn/spec.js';
import type { SavedHandle, SavedTensorInfo, SavedTensorStore } from '../../src/nn/store.js';
import { Sgd } from '../../src/train/sgd.js';
import { rand, relErr } from './layer-helpers.js';
import { everyKindModel } from '../helpers/models.js';
import { ModelBuilder } from '../../src/nn/zoo/builder.js';

const BATCH = 6;
const spec = everyKindModel();

function batch(seed: number): { images: tf.Tensor4D; labels: Int32Array } {
  const images = rand([BATCH, 8, 8, 2], seed) as tf.Tensor4D;
  const labels = Int32Array.from({ length: BATCH }, (_, i) => (i + seed) % 3);
  return { images, labels };
}

async function train(seed: number, steps: number): Promise<string> {
  const exec = Executor.create(spec, { seed });
  const sgd = new Sgd({ lr: 0.05, momentum: 0.9, weightDecay: 1e-3 });
  for (let s = 0; s < steps; s++) {
    const { images, labels } = batch(s);
    await exec.trainStep(images, labels, s);
    sgd.step(exec.params);
    images.dispose();
  }
  const h = exec.weightsHash();
  sgd.dispose();
  exec.dispose();
  return h;
}

/** Autograd of the loss over the same layer forward passes, with the executor's parameters. */
function autogradReference(exec: Executor, images: tf.Tensor, labels: Int32Array, step: number) {
  const analysis = exec.analysis;
  const byName = new Map(exec.params.map((p) => [p.name, p]));
  const layers = spec.layers.map((l, i) =>
    createLayer(l, {
      index: i,
      inputShapes: analysis.layers[i].inputShapes.map(toNhwc),
      outputShape: toNhwc(analysis.layers[i].outputShape),
      init: 'he',
      makeParam: (name) => byName.get(name) as Param,
      makeBuffer: (name, shape, fill) => ({
        name,
        value: tf.variable(tf.fill(shape, fill), false),
      }),
    }),
  );
  const graph = buildGraph(spec);
  const labelsT = tf.tensor1d(labels, 'int32');
  const ctx = { training: true, seed: 11, step, labels: labelsT };
  let loss = 0;
  const { grads } = tf.variableGrads(
    () => {
      const outs: tf.Tensor[] = [];
      let l: tf.Tensor | undefined;
      layers.forEach((layer, i) => {
        const ins = i === 0 ? [images] : graph.inputs[i].map((j) => outs[j]);
        const r = layer.forward(ins, ctx);
        outs.push(r.output);
        if (r.loss) l = r.loss;
      });
      loss = (l as tf.Tensor).dataSync()[0];
      return l as tf.Scalar;
    },
    exec.params.map((p) => p.value),
  );
  return { loss, grads: exec.params.map((p) => grads[p.value.name]) };
}

/** Wraps KeepStore and records every call. */
class RecordingStore implements SavedTensorStore {
  readonly inner = new KeepStore();
  readonly events: string[] = [];
  readonly packs: { info: SavedTensorInfo; dataId: unknown }[] = [];
  readonly released = new Set<number>();
  unpacked = 0;

  beginStep(step: number) {
    this.events.push(`beginStep ${step}`);
  }
  endStep(step: number) {
    this.events.push(`endStep ${step}`);
  }
  beginForward(i: number) {
    this.events.push(`beginForward ${i}`);
  }
  endForward(i: number) {
    this.events.push(`endForward ${i}`);
  }
  beginBackward(i: number) {
    this.events.push(`beginBackward ${i}`);
  }
  async endBackward(i: number) {
    await Promise.resolve();
    this.events.push(`endBackward ${i}`);
  }
  pack(t: tf.Tensor, info: SavedTensorInfo): SavedHandle {
    this.packs.push({ info, dataId: t.dataId });
    return this.inner.pack(t, info);
  }
  async unpack(h: SavedHandle) {
    assert.ok(!this.released.has(h.id), 'unpack after release');
    this.unpacked++;
    return this.inner.unpack(h);
  }
  release(h: SavedHandle) {
    this.released.add(h.id);
    this.inner.release(h);
  }
}

describe('executor', () => {
  before(() => initBackend('wasm'));

  for (const backend of ['cpu', 'wasm'] as const)
    test(`gradients and loss match autograd over the same forward pass (${backend})`, async () => {
      await initBackend(backend);
      const exec = Executor.create(spec, { seed: 11 });
      const { images, labels } = batch(1);
      const r = await exec.trainStep(images, labels, 4);
      const ref = autogradReference(exec, images, labels, 4);
      assert.ok(
        Math.abs(r.loss - ref.loss) < 1e-5 * Math.max(1, ref.loss),
        `loss ${r.loss} vs ${ref.loss}`,
      );
      exec.params.forEach((p, i) => {
        assert.ok(p.grad, `${p.name} has a gradient`);
        const e = relErr(p.grad, ref.grads[i]);
        assert.ok(e < 1e-4, `${p.name}: relative error ${e}`);
      });
      assert.ok(r.correct >= 0 && r.correct <= BATCH);
      tf.dispose([images, ...ref.grads]);
      exec.dispose();
      await initBackend('wasm');
    });

  test('the same seed gives the same weights; another seed different ones', async () => {
    const a = await train(3, 3);
    const b = await train(3, 3);
    const c = await train(4, 3);
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.equal(a, b);
    assert.notEqual(a, c);
  });

  test('a step leaves nothing behind, and device bytes are exactly what remains', async () => {
    const exec = Executor.create(spec, { seed: 1 });
    const sgd = new Sgd({ lr: 0.01, momentum: 0.9 });
    const { images, labels } = batch(2);
    const paramBytes = exec.params.reduce((s, p) => s + p.value.size * 4, 0);
    const bufferBytes = exec.buffers.reduce((s, b) => s + b.value.size * 4, 0);
    const imageBytes = images.size * 4;
    await exec.trainStep(images, labels, 0);
    sgd.step(exec.params);
    const tensors = tf.memory().numTensors;
    for (let s = 1; s < 3; s++) {
      const r = await exec.trainStep(images, labels, s);
      // Parameters and their gradients, momentum, batchnorm buffers, the caller's images.
      assert.equal(exec.deviceBytes, 3 * paramBytes + bufferBytes + imageBytes);
      assert.ok(r.peakDeviceBytes >= exec.plan.savedBytes(BATCH) + 3 * paramBytes);
      assert.ok(exec.peakDeviceBytes >= r.peakDeviceBytes);
      sgd.step(exec.params);
      assert.ok(exec.params.every((p) => p.grad === null));
      assert.equal(tf.memory().numTensors, tensors, `step ${s}`);
    }
    await exec.evaluate(images, labels);
    assert.equal(tf.memory().numTensors, tensors, 'evaluate');
    images.dispose();
    sgd.dispose();
    exec.dispose();
  });

  test("a step's peak includes the backward pass: parameters and all their gradients", async () => {
    // Parameters dominate (a wide dense layer at batch 1), so the largest
    // point of the step is in the backward pass, once every gradient exists.
    const b = new ModelBuilder([2, 4, 4]);
    const relu = b.relu('relu', b.dense('fc1', b.flatten('flat', 'data'), 1024));
    const wide = b.finish(b.dense('fc2', relu, 3), {
      name: 'wide',
      description: 'parameters much larger than activations',
      numClasses: 3,
    });
    const exec = Executor.create(wide, { seed: 1 });
    const images = rand([1, 4, 4, 2], 3) as tf.Tensor4D;
    const paramBytes = exec.params.reduce((s, p) => s + p.value.size * 4, 0);
    const r = await exec.trainStep(images, Int32Array.of(1), 0);
    // Held at fc1's backward: parameters, every gradient, the input batch.
    assert.ok(
      r.peakDeviceBytes >= 2 * paramBytes + images.size * 4,
      `${r.peakDeviceBytes} < ${2 * paramBytes + images.size * 4}`,
    );
    // A fresh executor's first step is its whole life.
    assert.equal(r.peakDeviceBytes, exec.peakDeviceBytes);
    images.dispose();
    exec.dispose();
  });

  test('refuses a layer that would pass the device limit, naming it, and stays usable', async () => {
    const { images, labels } = batch(3);
    const probe = Executor.create(spec, { seed: 1 });
    await probe.trainStep(images, labels, 0);
    const peak = probe.peakDeviceBytes;
    probe.dispose();
    const exec = Executor.create(spec, { seed: 1, deviceLimitBytes: peak - 1024 });
    const before = tf.memory().numTensors;
    await assert.rejects(exec.trainStep(images, labels, 0), (e: unknown) => {
      assert.ok(e instanceof DeviceMemoryError);
      assert.match(
        e.message,
        /^layer \S+ \((forward|backward)\) needs [\d.]+ KiB more; [\d.]+ KiB of [\d.]+ KiB in use/,
      );
      return true;
    });
    assert.equal(tf.memory().numTensors, before, 'nothing leaked by the refused step');
    const roomy = Executor.create(spec, { seed: 1, deviceLimitBytes: peak });
    const r = await roomy.trainStep(images, labels, 0);
    assert.ok(Number.isFinite(r.loss));
    tf.dispose(images);
    exec.dispose();
    roomy.dispose();
  });

  test('every saved tensor goes through the store: packed, unpacked once, released', async () => {
    const store = new RecordingStore();
    const exec = Executor.create(spec, { seed: 2, store });
    const { images, labels } = batch(4);
    await exec.trainStep(images, labels, 7);
    const graph = buildGraph(spec);
    const expected = spec.layers.flatMap((l, i) =>
      graph.needsBackward[i] ? SAVED_FOR_BACKWARD[l.kind].map((role) => `${l.name}:${role}`) : [],
    );
    assert.deepEqual(
      store.packs.map((p) => `${p.info.layer}:${p.info.role}`),
      expected,
    );
    assert.equal(store.unpacked, expected.length);
    assert.equal(store.released.size, expected.length);
    assert.equal(store.inner.size, 0);
    // relu1's output is both its own saved output and pool1's saved input: two packs, one buffer.
    const relu1 = store.packs.find((p) => p.info.layer === 'relu1')!;
    const pool1 = store.packs.find((p) => p.info.layer === 'pool1' && p.info.role === 'input')!;
    assert.equal(relu1.dataId, pool1.dataId);
    const n = spec.layers.length;
    const forward = spec.layers.flatMap((_, i) => [`beginForward ${i}`, `endForward ${i}`]);
    const backward = spec.layers
      .map((_, i) => i)
      .filter((i) => graph.needsBackward[i])
      .reverse()
      .flatMap((i) => [`beginBackward ${i}`, `endBackward ${i}`]);
    assert.deepEqual(store.events, ['beginStep 7', ...forward, ...backward, 'endStep 7']);
    assert.equal(backward.length, 2 * (n - 1));
    tf.dispose(images);
    exec.dispose();
  });

  test('the observer sees every forward output once, with its layer', async () => {
    const seen: string[] = [];
    const exec = Executor.create(spec, {
      seed: 2,
      observer: {
        onForwardOutput(i, l, out, step) {
          assert.equal(l, spec.layers[i]);
          assert.equal(step, 5);
          assert.equal(out.shape[0], BATCH);
          seen.push(l.name);
        },
      },
    });
    const { images, labels } = batch(5);
    await exec.trainStep(images, labels, 5);
    assert.deepEqual(
      seen,
      spec.layers.map((l) => l.name),
    );
    tf.dispose(images);
    exec.dispose();
  });

  test('evaluate is deterministic, trains nothing and uses running statistics', async () => {
    const exec = Executor.create(spec, { seed: 9 });
    const { images, labels } = batch(6);
    const h0 = exec.weightsHash();
    const a = await exec.evaluate(images, labels);
    const b = await exec.evaluate(images, labels);
    assert.deepEqual(a, b);
    assert.equal(exec.weightsHash(), h0);
    // A training step moves the batchnorm running statistics (part of the hash) and leaves gradients.
    await exec.trainStep(images, labels, 0);
    assert.notEqual(exec.weightsHash(), h0);
    tf.dispose(images);
    exec.dispose();
  });

  test('rejects batches that do not fit the model', async () => {
    const exec = Executor.create(spec, { seed: 1 });
    const wrong = tf.zeros([2, 8, 8, 3]) as tf.Tensor4D;
    await assert.rejects(exec.trainStep(wrong, new Int32Array(2), 0), InvalidArgumentError);
    const { images } = batch(1);
    await assert.rejects(exec.trainStep(images, new Int32Array(BATCH - 1), 0), /labels/);
    await assert.rejects(exec.evaluate(images, new Int32Array(BATCH).fill(3)), /outside/);
    const ints = tf.zeros([BATCH, 8, 8, 2], 'int32') as tf.Tensor4D;
    await assert.rejects(exec.trainStep(ints, new Int32Array(BATCH), 0), /float32/);
    ints.dispose();
    tf.dispose([wrong, images]);
    exec.dispose();
  });
});
