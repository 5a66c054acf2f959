import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { initBackend } from '../../src/nn/backend.js';
import { fileIO } from '../../src/study/tfjs-io.js';
import { runTfjsStudy, type TfjsStudyOptions } from '../../src/study/tfjs-model.js';
import { readResults } from '../../src/study/results.js';
import { InputFileError, OutputFileError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';

/** Writes n seeded 12x12 RGB PNGs (one a different size, to exercise resizing). */
function writeImages(dir: string, n: number): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    const side = i === 0 ? 20 : 12;
    const png = new PNG({ width: side, height: side });
    for (let p = 0; p < side * side; p++) {
      png.data[4 * p] = (p * 37 + i * 11) % 256;
      png.data[4 * p + 1] = (p * 13 + i * 101) % 256;
      png.data[4 * p + 2] = (p * 7) % 256;
      png.data[4 * p + 3] = 255;
    }
    writeFileSync(join(dir, `img${i}.png`), PNG.sync.write(png));
  }
  writeFileSync(join(dir, 'notes.txt'), 'not an image');
}

function opts(root: string): TfjsStudyOptions {
  return {
    modelPath: join(root, 'model', 'model.json'),
    imagesDir: join(root, 'images'),
    batch: 2,
    maxImages: 100,
    preprocessing: { range: [0, 1], resize: 'half-pixel', scale: 'after-resize' },
    backend: 'cpu',
    out: join(root, 'out'),
    zlibLevel: 6,
    zlibSampleImages: 1,
    maps: 2,
    mapLayers: 2,
    mapChannels: 4,
    threads: false,
  };
}

test('a saved Layers model is measured layer by layer on a folder of images', async (t) => {
  await initBackend('cpu');
  const root = tempDir(t, 'tfjs-study');
  const model = tfl.sequential({ name: 'tinynet' });
  model.add(
    tfl.layers.conv2d({
      inputShape: [12, 12, 3],
      filters: 4,
      kernelSize: 3,
      activation: 'relu',
      name: 'conv',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
    }),
  );
  model.add(tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool' }));
  model.add(tfl.layers.flatten({ name: 'flat' }));
  model.add(
    tfl.layers.dense({
      units: 5,
      name: 'fc',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
    }),
  );
  model.add(tfl.layers.reLU({ name: 'relu' }));
  await model.save(fileIO(join(root, 'model', 'model.json')));
  writeImages(join(root, 'images'), 5);

  const out = await runTfjsStudy(opts(root));
  const r = readResults(join(root, 'out', 'results.json'));
  assert.deepEqual(r, out.results);
  assert.equal(r.config.mode, 'inference');
  assert.equal(r.config.steps, 3); // 5 images in batches of 2
  const m = r.models[0];
  // Named after its file (the folder of model.json), not the model's internal name.
  assert.equal(m.model, 'model');
  // What training would keep for backward: the conv's ReLU output is the pooling's input X.
  assert.deepEqual(m.layers[0].savedFor, ['conv/relu:output', 'pool:input']);
  assert.deepEqual(m.layers[3].savedFor, []);
  assert.deepEqual(
    m.layers.map((l) => [l.layer, l.kind, l.shape.join('x')]),
    [
      ['conv', 'Conv2D+relu', '4x10x10'],
      ['pool', 'MaxPooling2D', '4x5x5'],
      ['flat', 'Flatten', '100'],
      ['fc', 'Dense', '5'],
      ['relu', 'ReLU', '5'],
    ],
  );
  // The conv layer's density is what the model computes on the same pixels
  // (batches 1 and 2 hold images 2-3 and 4, all 12x12, so no resizing).
  const conv = m.layers[0];
  const probe = tfl.model({
    inputs: model.inputs,
    outputs: model.getLayer('conv').output as tfl.SymbolicTensor,
  });
  for (const [step, first, count] of [
    [1, 2, 2],
    [2, 4, 1],
  ]) {
    const pixels = new Float32Array(count * 12 * 12 * 3);
    for (let i = 0; i < count; i++) {
      const png = PNG.sync.read(readFileSync(join(root, 'images', `img${first + i}.png`)));
      for (let p = 0; p < 144; p++)
        for (let k = 0; k < 3; k++) pixels[(i * 144 + p) * 3 + k] = png.data[4 * p + k] / 255;
    }
    const y = tf.tidy(() => probe.predict(tf.tensor4d(pixels, [count, 12, 12, 3])) as tf.Tensor);
    const v = y.dataSync();
    y.dispose();
    assert.equal(conv.series.density[step], v.filter((x) => x !== 0).length / v.length);
  }
  assert.ok(conv.density > 0 && conv.density < 1);
  assert.ok(conv.ratios.zvc.nchw > 0);
  assert.equal(m.layers[3].density, 1, 'a linear dense output has no exact zeros');
  assert.equal(m.maps.length, 2 * 2);
  for (const map of m.maps) assert.ok(existsSync(join(root, 'out', map.file)));
});

test('missing images, a model that is not an image model and one-sided options are input errors', async (t) => {
  await initBackend('cpu');
  const root = tempDir(t, 'tfjs-study');
  const flat = tfl.sequential();
  flat.add(tfl.layers.dense({ inputShape: [7], units: 2 }));
  await flat.save(fileIO(join(root, 'model', 'model.json')));
  mkdirSync(join(root, 'images'));
  await assert.rejects(runTfjsStudy(opts(root)), /must take one image input/);
  await assert.rejects(
    runTfjsStudy({ ...opts(root), modelPath: join(root, 'none.json') }),
    InputFileError,
  );
  const conv = tfl.sequential();
  conv.add(tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 1, kernelSize: 1 }));
  await conv.save(fileIO(join(root, 'model', 'model.json')));
  await assert.rejects(runTfjsStudy(opts(root)), /holds no \.png, \.jpg or \.jpeg file/);
  writeFileSync(join(root, 'images', 'broken.png'), 'not a png at all');
  await assert.rejects(runTfjsStudy(opts(root)), InputFileError);
});

/** Saves a small conv net, then removes its weights from model.json (and optionally renames it). */
async function weightlessModel(root: string, name?: string): Promise<void> {
  const m = tfl.sequential();
  m.add(
    tfl.layers.conv2d({
      inputShape: [12, 12, 3],
      filters: 4,
      kernelSize: 3,
      activation: 'relu',
      name: 'conv',
    }),
  );
  m.add(tfl.layers.flatten({ name: 'flat' }));
  m.add(tfl.layers.dense({ units: 3, activation: 'relu', name: 'fc' }));
  const path = join(root, 'model', 'model.json');
  await m.save(fileIO(path));
  const json = JSON.parse(readFileSync(path, 'utf8'));
  delete json.weightsManifest;
  if (name !== undefined) json.modelTopology.config.name = name;
  writeFileSync(path, JSON.stringify(json));
}

test('a model without weights is studied only with --random-init, and the same seed gives the same results', async (t) => {
  await initBackend('cpu');
  const root = tempDir(t, 'tfjs-study');
  await weightlessModel(root);
  writeImages(join(root, 'images'), 3);
  await assert.rejects(
    runTfjsStudy(opts(root)),
    (e) =>
      e instanceof InputFileError &&
      e.message.includes(join(root, 'model', 'model.json')) &&
      /has no weights; pass --random-init SEED/.test(e.message),
  );
  const run = async (seed: number, out: string) => {
    const lines: string[] = [];
    const r = await runTfjsStudy({
      ...opts(root),
      randomInit: seed,
      out: join(root, out),
      log: (l) => lines.push(l),
    });
    assert.ok(lines.some((l) => l.includes(`--random-init ${seed}`)));
    assert.equal(r.results.config.seed, seed);
    return r.results.models[0];
  };
  const a = await run(7, 'a');
  const b = await run(7, 'b');
  const c = await run(8, 'c');
  assert.deepEqual(a.layers, b.layers);
  assert.deepEqual(a.maps, b.maps);
  for (const map of a.maps) {
    assert.deepEqual(
      readFileSync(join(root, 'a', map.file)),
      readFileSync(join(root, 'b', map.file)),
    );
  }
  assert.notDeepEqual(
    a.layers.map((l) => l.series.density),
    c.layers.map((l) => l.series.density),
  );
});

test('outputs stay inside --out whatever the model is called, and a bad --out is refused first', async (t) => {
  await initBackend('cpu');
  const root = tempDir(t, 'tfjs-study');
  await weightlessModel(root, '..');
  writeImages(join(root, 'images'), 2);
  mkdirSync(join(root, 'out'));
  writeFileSync(join(root, 'out', 'keep.txt'), "not the study's");
  const r = await runTfjsStudy({ ...opts(root), randomInit: 1 });
  assert.ok(existsSync(join(root, 'out', 'keep.txt')));
  // The model calls itself '..'; the study names it after its file's folder.
  assert.deepEqual(readdirSync(join(root, 'out', 'maps')), ['model']);
  assert.ok(r.results.models[0].maps.length > 0);
  for (const map of r.results.models[0].maps) {
    assert.ok(map.file.startsWith('maps/model/'));
    assert.ok(existsSync(join(root, 'out', map.file)));
  }
  assert.deepEqual(readResults(join(root, 'out', 'results.json')), r.results);

  writeFileSync(join(root, 'file'), 'x');
  await assert.rejects(
    runTfjsStudy({ ...opts(root), randomInit: 1, out: join(root, 'file') }),
    OutputFileError,
  );
});
