import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { readFileSync, writeFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { fileIO } from '../../src/study/tfjs-io.js';
import { InputFileError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';

function tinyModel(): tf.Sequential {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [8, 8, 1],
      filters: 3,
      kernelSize: 3,
      activation: 'relu',
      name: 'c1',
    }),
  );
  m.add(tf.layers.flatten({ name: 'f' }));
  m.add(tf.layers.dense({ units: 2, name: 'd' }));
  return m;
}

async function saved(t: TestContext): Promise<{ dir: string; path: string; model: tf.Sequential }> {
  await tf.setBackend('cpu');
  const dir = tempDir(t, 'tfjs-io');
  const path = join(dir, 'model.json');
  const model = tinyModel();
  await model.save(fileIO(path));
  return { dir, path, model };
}

test('a Layers model saved through the file handler loads back with the same weights', async (t) => {
  const { dir, path, model } = await saved(t);
  assert.ok(statSync(join(dir, 'model.weights.bin')).size > 0);
  const back = await tf.loadLayersModel(fileIO(path));
  const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 7);
  const a = model.predict(x) as tf.Tensor;
  const b = back.predict(x) as tf.Tensor;
  assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
  assert.deepEqual(
    back.layers.map((l) => l.name),
    ['c1', 'f', 'd'],
  );
  tf.dispose([x, a, b]);
});

test('truncated weights, escaping shard paths and bad JSON are input errors', async (t) => {
  const { dir, path } = await saved(t);
  const json = JSON.parse(readFileSync(path, 'utf8'));

  const escape = structuredClone(json);
  escape.weightsManifest[0].paths = ['../outside.bin'];
  writeFileSync(join(dir, 'escape.json'), JSON.stringify(escape));
  await assert.rejects(
    tf.loadLayersModel(fileIO(join(dir, 'escape.json'))),
    (e) => e instanceof InputFileError && /relative path/.test(e.message),
  );

  const missing = structuredClone(json);
  missing.weightsManifest[0].paths = ['nope.bin'];
  writeFileSync(join(dir, 'missing.json'), JSON.stringify(missing));
  await assert.rejects(tf.loadLayersModel(fileIO(join(dir, 'missing.json'))), /does not exist/);

  const forged = structuredClone(json);
  forged.weightsManifest[0].weights[0].shape = [1e6, 1e6, 1e6];
  writeFileSync(join(dir, 'forged.json'), JSON.stringify(forged));
  await assert.rejects(tf.loadLayersModel(fileIO(join(dir, 'forged.json'))), InputFileError);

  writeFileSync(join(dir, 'bad.json'), '{"modelTopology": ');
  await assert.rejects(tf.loadLayersModel(fileIO(join(dir, 'bad.json'))), /not valid JSON/);
  writeFileSync(join(dir, 'graph.json'), '{"format": "graph-model"}');
  await assert.rejects(tf.loadLayersModel(fileIO(join(dir, 'graph.json'))), /no modelTopology/);

  truncateSync(join(dir, 'model.weights.bin'), 10);
  await assert.rejects(tf.loadLayersModel(fileIO(path)), /truncated/);
});
