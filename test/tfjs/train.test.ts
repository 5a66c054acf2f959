/**
 * Fine-tuning imported models: `cdma train --tfjs-model` gives weights
 * bit-identical to the oracle's under every memory option; --save writes a
 * Layers model that tfl.loadLayersModel reads and whose predictions equal the
 * executor's within 1e-5; frozen layers keep their weights; a new head
 * trains; Adam follows its formula; conflicting options are refused.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/nn/backend.js';
import { fileIO, loadTfjsModel } from '../../src/study/tfjs-io.js';
import { loadImportedModel } from '../../src/tfjs/load.js';
import { saveImportedModel } from '../../src/tfjs/export.js';
import { train } from '../../src/train/trainer.js';
import { Adam } from '../../src/train/adam.js';
import { loadDataset } from '../../src/data/prepare.js';
import type { Param } from '../../src/nn/param.js';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

before(() => initBackend('wasm'));

/** A small Keras-style network on 28x28 grey digits, written to dir/tiny/model.json. */
async function tinyModel(dir: string, classes = 10): Promise<string> {
  const L = tfl.layers;
  const i = tfl.input({ shape: [28, 28, 1], name: 'digits' });
  let x = L.conv2d({
    filters: 8,
    kernelSize: 3,
    strides: 2,
    padding: 'same',
    useBias: false,
    name: 'c1',
  }).apply(i) as tfl.SymbolicTensor;
  x = L.batchNormalization({ name: 'bn1' }).apply(x) as tfl.SymbolicTensor;
  x = L.reLU({ maxValue: 6, name: 'r1' }).apply(x) as tfl.SymbolicTensor;
  x = L.depthwiseConv2d({ kernelSize: 3, padding: 'same', activation: 'relu', name: 'dw' }).apply(
    x,
  ) as tfl.SymbolicTensor;
  x = L.conv2d({ filters: 12, kernelSize: 1, activation: 'relu', name: 'c2' }).apply(
    x,
  ) as tfl.SymbolicTensor;
  x = L.maxPooling2d({ poolSize: 2, name: 'mp' }).apply(x) as tfl.SymbolicTensor;
  x = L.globalAveragePooling2d({ name: 'gap' }).apply(x) as tfl.SymbolicTensor;
  x = L.dropout({ rate: 0.2, name: 'drop' }).apply(x) as tfl.SymbolicTensor;
  const out = L.dense({ units: classes, activation: 'softmax', name: 'head' }).apply(
    x,
  ) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: i, outputs: out, name: 'model_1' });
  const path = join(dir, 'tiny', 'model.json');
  await model.save(fileIO(path));
  model.dispose();
  return path;
}

const sha = (out: string): string => /^weights sha256 +([0-9a-f]{64})$/m.exec(out)?.[1] ?? 'none';

describe('cdma train --tfjs-model', () => {
  test('weights are bit-identical between the oracle and every memory option', async (t) => {
    const dir = tempDir(t, 'tfjs-train');
    const model = await tinyModel(dir);
    const base = [
      'train',
      '--tfjs-model',
      model,
      '--limit',
      '32',
      '--test-limit',
      '16',
      '--batch',
      '8',
      '--steps',
      '3',
      '--quiet',
    ];
    const oracle = await runCli(...base);
    assert.equal(oracle.code, 0, oracle.err);
    assert.match(oracle.out, /^model +tiny \(input 1x28x28, 10 classes\)/m);
    for (const extra of [
      ['--policy', 'all', '--codec', 'zvc'],
      ['--policy', 'conv', '--codec', 'zlib', '--prefetch-ahead', '2'],
      ['--policy', 'all', '--codec', 'rle', '--host-store', dir],
      ['--policy', 'dyn', '--codec', 'zvc', '--budget', '2000KiB'],
    ]) {
      const r = await runCli(...base, ...extra);
      assert.equal(r.code, 0, `${extra.join(' ')}: ${r.err}`);
      assert.equal(sha(r.out), sha(oracle.out), extra.join(' '));
      assert.match(r.out, /^offloaded\/step/m);
    }
    const adam = await runCli(...base, '--optimizer', 'adam', '--policy', 'all');
    const adamOracle = await runCli(...base, '--optimizer', 'adam');
    assert.equal(sha(adam.out), sha(adamOracle.out));
    assert.notEqual(sha(adam.out), sha(oracle.out));
    assert.match(adam.out, /lr 0\.001 linear.*Adam/);
  });

  test('--freeze-to, --classes and --save: a Layers model whose predictions equal the executor within 1e-5', async (t) => {
    const dir = tempDir(t, 'tfjs-save');
    const model = await tinyModel(dir, 5);
    const imported = await loadImportedModel(model, { freezeTo: 'dw', classes: 10 });
    assert.deepEqual(
      imported.spec.layers.filter((l) => l.frozen).map((l) => l.name),
      ['c1', 'bn1', 'r1', 'dw', 'dw/relu'],
    );
    const dataset = loadDataset('mnist', { limit: 32, testLimit: 8 });
    const saveDir = join(dir, 'out');
    let err = -1;
    let savedPath = '';
    await train({
      model: imported.spec,
      initialValues: imported.initialValues,
      optimizer: 'adam',
      dataset,
      batch: 8,
      steps: 3,
      lr: 0.01,
      seed: 3,
      onTrained: async (exec) => {
        savedPath = await saveImportedModel(model, imported, exec, saveDir);
        const loaded = await tfl.loadLayersModel(fileIO(savedPath));
        const x = tf.tensor4d(dataset.test.images.slice(0, 8 * 784), [8, 28, 28, 1]);
        const ref = loaded.predict(x) as tf.Tensor;
        const [got] = await exec.infer(x, [imported.outputLayer]);
        err = tf.max(tf.abs(tf.sub(got, ref))).dataSync()[0] / tf.max(tf.abs(ref)).dataSync()[0];
        assert.deepEqual(ref.shape, [8, 10]);
        // Frozen layers kept their weights; the others moved.
        const before = await loadTfjsModel(model);
        const same = (name: string): boolean =>
          loaded
            .getLayer(name)
            .getWeights()
            .every((w, k) => {
              const a = w.dataSync();
              const b = before.getLayer(name).getWeights()[k].dataSync();
              return a.every((v, i) => v === b[i]);
            });
        assert.ok(same('c1') && same('bn1') && same('dw'), 'frozen layers changed');
        assert.ok(!same('c2'), 'c2 did not train');
        assert.equal(loaded.getLayer('dw').trainable, false);
        assert.equal(loaded.getLayer('c2').trainable, true);
        tf.dispose([x, ref, got]);
        before.dispose();
        loaded.dispose();
      },
    });
    assert.equal(savedPath, join(saveDir, 'model.json'));
    assert.ok(err >= 0 && err < 1e-5, `relative error ${err}`);
  });

  test('option rules', async (t) => {
    const dir = tempDir(t, 'tfjs-opts');
    const model = await tinyModel(dir);
    const cases: [string[], RegExp][] = [
      [
        ['--model', 'nin-small', '--freeze-to', 'c1'],
        /^cdma: --freeze-to applies to an imported model; add --tfjs-model PATH$/m,
      ],
      [
        ['--model', 'nin-small', '--save', join(dir, 's')],
        /^cdma: --save writes an imported model/m,
      ],
      [
        ['--model', 'nin-small', '--tfjs-model', model],
        /give --model NAME .* or --tfjs-model PATH .*, exactly one/,
      ],
      [['--tfjs-model', model, '--input', '1x32x32'], /--input has no effect with --tfjs-model/],
      [
        ['--tfjs-model', model, '--optimizer', 'adam', '--momentum', '0.5'],
        /--momentum has no effect with --optimizer adam/,
      ],
      [
        ['--tfjs-model', model, '--optimizer', 'rmsprop'],
        /--optimizer must be one of sgd, adam, got 'rmsprop'/,
      ],
      [
        ['--tfjs-model', model, '--save', join(dir, 'tiny')],
        /--save folder .* holds the model being trained/,
      ],
      [
        ['--tfjs-model', model, '--freeze-to', 'nope'],
        /--freeze-to: the model has no layer 'nope'/,
      ],
      [['--tfjs-model', model, '--classes', '1'], /--classes must be an integer from 2 to 65536/],
      [
        ['--tfjs-model', model, '--input-range', '1,1'],
        /--input-range must be mean-std or two different numbers/,
      ],
      [
        ['--tfjs-model', model, '--resize', 'nearest'],
        /--resize must be one of half-pixel, align-corners/,
      ],
      [['--tfjs-model', join(dir, 'missing.json')], /^cdma: .*missing\.json/m],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(
        'train',
        '--steps',
        '1',
        '--limit',
        '8',
        '--batch',
        '8',
        '--quiet',
        ...args,
      );
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.out}`);
      assert.match(r.err, re, args.join(' '));
    }
    const five = await tinyModel(join(dir, 'five'), 5);
    const r = await runCli(
      'train',
      '--tfjs-model',
      five,
      '--steps',
      '1',
      '--limit',
      '8',
      '--batch',
      '8',
      '--quiet',
    );
    assert.match(
      r.err,
      /the model has 5 classes and the dataset 10; pass --classes 10 to replace its head/,
    );
  });
});

describe('cdma compare --tfjs-model', () => {
  test('oracle, vDNN and cDMA end with the same weights', async (t) => {
    const model = await tinyModel(tempDir(t, 'tfjs-compare'));
    const r = await runCliProcess([
      'compare',
      '--tfjs-model',
      model,
      '--freeze-to',
      'c1',
      '--batch',
      '8',
      '--steps',
      '2',
      '--test-limit',
      '8',
      '--link',
      'unlimited',
      '--json',
      '--quiet',
    ]);
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(r.out) as {
      model: string;
      weightsMatch: boolean;
      runs: { name: string }[];
    };
    assert.equal(json.model, 'tiny');
    assert.equal(json.weightsMatch, true);
    assert.deepEqual(
      json.runs.map((x) => x.name),
      ['oracle', 'vDNN', 'cDMA'],
    );
  });
});

describe('Adam', () => {
  test("follows Keras' update rule, bias correction included, and skips frozen parameters", () => {
    const w = tf.variable(tf.tensor1d([1, -2, 0.5]));
    const p: Param = { name: 'l/weight', value: w, grad: null, decay: true, slots: [] };
    const q: Param = {
      name: 'f/weight',
      value: tf.variable(tf.tensor1d([3])),
      grad: null,
      decay: true,
      slots: [],
    };
    const adam = new Adam({ lr: 0.1, weightDecay: 0.01 });
    const g = [
      [0.5, -1, 2],
      [0.1, 0.3, -0.2],
    ];
    let m = [0, 0, 0];
    let v = [0, 0, 0];
    let ref = [1, -2, 0.5];
    g.forEach((gs, t) => {
      p.grad = tf.tensor1d(gs);
      adam.step([p, q]);
      const d = gs.map((x, i) => x + 0.01 * ref[i]);
      m = m.map((x, i) => 0.9 * x + 0.1 * d[i]);
      v = v.map((x, i) => 0.999 * x + 0.001 * d[i] * d[i]);
      const lrT = (0.1 * Math.sqrt(1 - 0.999 ** (t + 1))) / (1 - 0.9 ** (t + 1));
      ref = ref.map((x, i) => x - (lrT * m[i]) / (Math.sqrt(v[i]) + 1e-7));
    });
    Array.from(w.dataSync()).forEach((x, i) =>
      assert.ok(Math.abs(x - ref[i]) < 1e-6, `${x} vs ${ref[i]}`),
    );
    assert.equal(q.value.dataSync()[0], 3);
    assert.equal(p.slots.length, 2);
    adam.dispose();
    assert.equal(p.slots.length, 0);
    w.dispose();
    q.value.dispose();
  });
});
