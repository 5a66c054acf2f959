import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/nn/backend.js';
import { Executor } from '../../src/nn/executor.js';
import { KeepStore } from '../../src/nn/keep-store.js';
import { analyzeModel } from '../../src/nn/shapes.js';
import { InlineMeasureService } from '../../src/study/measure-service.js';
import { StepRecorder, recordTargets } from '../../src/study/recorder.js';
import { recorderModel as tinySpec } from '../helpers/models.js';

test('targets are the distinct saved tensors and the ReLU outputs, not the loss output', () => {
  const targets = recordTargets(analyzeModel(tinySpec()));
  assert.deepEqual(
    targets.map((t) => t.key),
    ['data:output', 'relu1:output', 'pool1:output', 'relu2:output', 'drop:output', 'drop:mask'],
  );
  const byKey = new Map(targets.map((t) => [t.key, t]));
  assert.deepEqual(byKey.get('relu1:output')?.savedFor, ['relu1:output', 'pool1:input']);
  // fc1 saves the flatten view of pool1's output: the same bytes, named after pool1.
  assert.deepEqual(byKey.get('pool1:output')?.savedFor, ['pool1:output', 'fc1:input']);
  assert.deepEqual(byKey.get('drop:mask')?.shape, [16]);
  assert.deepEqual(byKey.get('pool1:output')?.shape, [4, 4, 4]);
});

test('a recorded step measures what the executor computed; other steps record nothing', async () => {
  await initBackend('wasm');
  const spec = tinySpec();
  const service = new InlineMeasureService({ zlibLevel: 6, zlibSampleImages: 8 });
  const rec = new StepRecorder(analyzeModel(spec), service, { maxMapLayers: 2, mapChannels: 4 });
  // A second observer sees the same relu1 output, to compare with.
  let relu1Density = -1;
  const exec = Executor.create(spec, {
    seed: 3,
    store: rec.wrap(new KeepStore()),
    observer: {
      onForwardOutput(i, s, out, step) {
        rec.observer.onForwardOutput(i, s, out, step);
        if (s.name === 'relu1' && step === 1) {
          const d = out.dataSync();
          relu1Density = d.filter((v) => v !== 0).length / d.length;
        }
      },
    },
  });
  const x = tf.randomNormal([5, 8, 8, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
  const labels = Uint8Array.from([0, 1, 2, 0, 1]);
  try {
    await exec.trainStep(x, labels, 0);
    rec.begin(1, true);
    await exec.trainStep(x, labels, 1);
    const r = await rec.end();
    assert.equal(r.step, 1);
    assert.deepEqual(
      r.tensors.map((t) => `${t.layer}:${t.role}`),
      rec.targets.map((t) => t.key),
    );
    const relu1 = r.tensors.find((t) => t.layer === 'relu1');
    assert.equal(relu1?.density, relu1Density);
    assert.ok(relu1Density > 0 && relu1Density < 1);
    // The dropout mask keeps about half; the input image has no exact zero.
    const mask = r.tensors.find((t) => t.role === 'mask');
    assert.ok(mask && mask.density > 0.2 && mask.density < 0.8);
    assert.equal(r.tensors[0].density, 1);
    assert.equal(r.maps.length, 2);
    assert.ok(r.maps.every((m) => m.image.png.length > 0 && m.step === 1));
    await exec.trainStep(x, labels, 2);
    const before = service.busyMs;
    rec.begin(3, false);
    rec.abort();
    await exec.trainStep(x, labels, 3);
    assert.equal(service.busyMs, before, 'an aborted or unrecorded step measures nothing');
  } finally {
    x.dispose();
    exec.dispose();
  }
});

test('end() names the tensors the executor never handed over', () => {
  const rec = new StepRecorder(
    analyzeModel(tinySpec()),
    new InlineMeasureService({ zlibLevel: 6, zlibSampleImages: 1 }),
    {
      maxMapLayers: 0,
      mapChannels: 1,
    },
  );
  rec.begin(0, false);
  assert.throws(() => rec.end(), /did not hand over data:output, relu1:output/);
});
