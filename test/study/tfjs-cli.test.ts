import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { buildProgram } from '../../src/cli/main.js';
import { initBackend } from '../../src/nn/backend.js';
import { readResults } from '../../src/study/results.js';
import { fileIO } from '../../src/study/tfjs-io.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** A conv net saved under root/model without its weights, and two 8x8 images under root/images. */
async function setUp(root: string): Promise<void> {
  await initBackend('cpu');
  const m = tfl.sequential({ name: 'bare' });
  m.add(tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, name: 'conv' }));
  m.add(tfl.layers.reLU({ name: 'relu' }));
  const path = join(root, 'model', 'model.json');
  await m.save(fileIO(path));
  const json = JSON.parse(readFileSync(path, 'utf8'));
  delete json.weightsManifest;
  writeFileSync(path, JSON.stringify(json));
  mkdirSync(join(root, 'images'));
  for (let i = 0; i < 2; i++) {
    const png = new PNG({ width: 8, height: 8 });
    for (let p = 0; p < 64; p++) {
      png.data.fill((p * 29 + i * 71) % 256, 4 * p, 4 * p + 3);
      png.data[4 * p + 3] = 255;
    }
    writeFileSync(join(root, 'images', `i${i}.png`), PNG.sync.write(png));
  }
}

const args = (root: string, out: string, ...more: string[]) => [
  'study',
  '--tfjs-model',
  join(root, 'model', 'model.json'),
  '--images',
  join(root, 'images'),
  '--backend',
  'cpu',
  '--no-threads',
  '--quiet',
  '--out',
  join(root, out),
  ...more,
];

test('study --help documents --random-init', () => {
  const study = buildProgram().commands.find((c) => c.name() === 'study');
  assert.ok(study);
  assert.match(study.helpInformation().replace(/\s+/g, ' '), /--random-init <seed>.*fan_in/);
});

test('cdma study --random-init studies a model without weights, the same for the same seed', async (t) => {
  const root = tempDir(t, 'tfjs-cli');
  await setUp(root);

  const bare = await runCli(...args(root, 'none'));
  assert.equal(bare.code, 1, bare.err);
  assert.match(bare.err, /^cdma: .*model\.json has no weights; pass --random-init SEED/);
  assert.equal(bare.err.trim().split('\n').length, 1, bare.err);

  for (const bad of ['x', '-1', '4294967296']) {
    const r = await runCli(...args(root, 'bad', '--random-init', bad));
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /cdma: --random-init must be an integer from 0 to 4294967295/);
  }

  for (const out of ['a', 'b']) {
    const r = await runCli(...args(root, out, '--random-init', '3'));
    assert.equal(r.code, 0, r.err);
  }
  const a = readResults(join(root, 'a', 'results.json'));
  const b = readResults(join(root, 'b', 'results.json'));
  assert.equal(a.config.seed, 3);
  assert.deepEqual(a.models[0].layers, b.models[0].layers);
  assert.ok(a.models[0].layers[0].density > 0 && a.models[0].layers[0].density <= 1);
});
