/**
 * `cdma study --tfjs-model` over fine-tuning (no --images): the imported
 * model trains on --dataset and its tensors are recorded as for the zoo
 * networks, under the model's file name; the comparison with the paper has
 * the all-tensor, ReLU-output and offloaded-tensor averages, worded for
 * training or for inference.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { PNG } from 'pngjs';
import { initBackend } from '../../src/nn/backend.js';
import { fileIO } from '../../src/study/tfjs-io.js';
import { readResults } from '../../src/study/results.js';
import { compare, comparisonRows, differenceNotes } from '../../src/report/study-compare.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

before(() => initBackend('wasm'));

async function model(dir: string): Promise<string> {
  const L = tfl.layers;
  const i = tfl.input({ shape: [28, 28, 1] });
  let x = L.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', name: 'c1' }).apply(
    i,
  ) as tfl.SymbolicTensor;
  x = L.batchNormalization({ name: 'bn' }).apply(x) as tfl.SymbolicTensor;
  x = L.reLU({ maxValue: 6, name: 'r6' }).apply(x) as tfl.SymbolicTensor;
  x = L.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', name: 'c2' }).apply(
    x,
  ) as tfl.SymbolicTensor;
  x = L.globalAveragePooling2d({ name: 'gap' }).apply(x) as tfl.SymbolicTensor;
  const out = L.dense({ units: 10, activation: 'softmax', name: 'fc' }).apply(
    x,
  ) as tfl.SymbolicTensor;
  const m = tfl.model({ inputs: i, outputs: out, name: 'model_1' });
  const path = join(dir, 'digits', 'model.json');
  await m.save(fileIO(path));
  m.dispose();
  return path;
}

test('fine-tuning an imported model records its tensors over training', async (t) => {
  const dir = tempDir(t, 'study-tfjs');
  const path = await model(dir);
  const out = join(dir, 'out');
  const r = await runCli(
    'study',
    '--tfjs-model',
    path,
    '--dataset',
    'mnist',
    '--limit',
    '32',
    '--batch',
    '8',
    '--steps',
    '4',
    '--every',
    '2',
    '--warmup',
    '0',
    '--freeze-to',
    'c1',
    '--maps',
    '1',
    '--map-layers',
    '2',
    '--zlib-images',
    '1',
    '--no-threads',
    '--out',
    out,
    '--quiet',
  );
  assert.equal(r.code, 0, r.err);
  const res = readResults(join(out, 'results.json'));
  assert.equal(res.config.mode, 'training');
  const m = res.models[0];
  assert.equal(m.model, 'digits');
  assert.equal(m.requested, path);
  assert.deepEqual(m.steps, [0, 2, 3]);
  const kinds = new Set(m.layers.map((l) => l.kind));
  assert.ok(kinds.has('relu6') && kinds.has('relu'), [...kinds].join(','));
  const c = compare(res);
  assert.ok(c && c.averageRelu !== null && c.averageOffloaded !== null);
  const rows = comparisonRows(c).map((row) => row[0]);
  assert.deepEqual(rows, [
    'Average ZVC ratio over the networks (every recorded tensor)',
    'Average ZVC ratio over the ReLU outputs only',
    'Average ZVC ratio over the offloaded tensors only (each layer\u2019s input X, as vDNN offloads)',
    'Maximum ZVC ratio (a layer, over training)',
  ]);
  const notes = differenceNotes(res, c).join(' ');
  assert.match(notes, /largest feature map is 28x28\. Smaller images/);
});

test('at inference the comparison speaks of what training would offload, over the images', async (t) => {
  const dir = tempDir(t, 'study-tfjs');
  const path = await model(dir);
  const images = join(dir, 'images');
  mkdirSync(images);
  for (let k = 0; k < 2; k++) {
    const png = new PNG({ width: 28, height: 28 });
    for (let p = 0; p < 28 * 28; p++) {
      png.data.fill((p * (k + 3)) % 256, 4 * p, 4 * p + 3);
      png.data[4 * p + 3] = 255;
    }
    writeFileSync(join(images, `d${k}.png`), PNG.sync.write(png));
  }
  const out = join(dir, 'out');
  const r = await runCli(
    'study',
    '--tfjs-model',
    path,
    '--images',
    images,
    '--out',
    out,
    '--quiet',
    '--no-threads',
  );
  assert.equal(r.code, 0, r.err);
  const res = readResults(join(out, 'results.json'));
  assert.equal(res.models[0].model, 'digits');
  const c = compare(res);
  assert.ok(c);
  const rows = comparisonRows(c).map((row) => row[0]);
  assert.ok(
    rows.some((x) => /tensors training would offload .*measured at inference/.test(x)),
    rows.join('\n'),
  );
  assert.ok(rows.includes('Maximum ZVC ratio (a layer, over the images)'));
  assert.ok(!rows.some((x) => /each layer\u2019s input X, as vDNN offloads/.test(x)));
  assert.match(differenceNotes(res, c).join(' '), /No training/);
});

test('mode rules: --models and --images with --tfjs-model, --images alone', async (t) => {
  const dir = tempDir(t, 'study-tfjs');
  const path = await model(dir);
  const cases: [string[], RegExp][] = [
    [
      ['--tfjs-model', path, '--models', 'alexnet'],
      /--models names zoo networks; with --tfjs-model/,
    ],
    [['--images', dir], /--images measures a model at inference: pass the model with --tfjs-model/],
    [
      ['--tfjs-model', path, '--images', dir, '--freeze-to', 'c1'],
      /--freeze-to applies to training mode/,
    ],
    [['--models', 'alexnet', '--classes', '3'], /--classes applies to an imported model/],
  ];
  for (const [args, re] of cases) {
    const r = await runCli('study', '--out', join(dir, 'o'), '--quiet', ...args);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.err, re, args.join(' '));
  }
});
