/**
 * Importing TensorFlow.js Layers models into the executor: models built here
 * with tfl.layers (every supported class, Sequential, functional with
 * branches and shared inputs, nested) and two pretrained Keras-converted
 * networks from nsfwjs@4.4.0 (MobileNetV2, InceptionV3) give the same
 * predictions as tfl.LayersModel.predict within 1e-4 (relative, max over
 * outputs), read through the model-file loader; unsupported models are
 * one-line errors.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/nn/backend.js';
import { Executor } from '../../src/nn/executor.js';
import { fileIO, loadTfjsModel, loadTfjsModelFile } from '../../src/study/tfjs-io.js';
import { importLayersModel, rawConfigs, spatialDropout2d } from '../../src/tfjs/import.js';
import { fillUniform, streamKey } from '../../src/random.js';
import { readEmbeddedDigits } from '../../src/data/mnist-embedded.js';
import { resizeBilinear, toRgb } from '../../src/data/fit.js';
import { tempDir, withTempDir } from '../helpers/tmp.js';
import { writeNsfwModel } from '../helpers/nsfwjs.js';

before(() => initBackend('wasm'));

/** Seeded weights in place of tfjs' random ones (moving variances positive). */
function randomize(model: tfl.LayersModel, seed: number): void {
  const values = model.weights.map((w, i) => {
    const n = w.shape.reduce((a: number, b) => a * (b as number), 1);
    const v = new Float32Array(n);
    const variance = w.originalName.endsWith('moving_variance');
    fillUniform(v, streamKey(seed, i + 1), variance ? 0.5 : -0.5, variance ? 1.5 : 0.5);
    return tf.tensor(v, w.shape as number[]);
  });
  model.setWeights(values);
  tf.dispose(values);
}

/** Real inputs: embedded MNIST digits as RGB in [0, 1] at h x w. */
function digits(n: number, h: number, w: number, c = 3): tf.Tensor4D {
  const all = readEmbeddedDigits();
  const picked = { count: n, pixels: new Uint8Array(n * 784), labels: new Uint8Array(n) };
  for (let i = 0; i < n; i++) {
    const k = Math.floor(((i + 0.5) / n) * all.count);
    picked.pixels.set(all.pixels.subarray(k * 784, (k + 1) * 784), i * 784);
  }
  let s = resizeBilinear(picked, 1, 28, 28, h, w);
  if (c === 3) s = toRgb(s, h, w);
  return tf.tidy(() =>
    tf.div(tf.cast(tf.tensor4d(s.pixels, [n, h, w, c], 'int32'), 'float32'), 255),
  );
}

/** Largest |a - b| over the largest |b|. */
function rel(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => {
    const d = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
    return d / Math.max(1e-12, tf.max(tf.abs(b)).dataSync()[0]);
  });
}

/** Saves the model, loads it back through cdma's loader, imports it and compares predictions. */
async function roundTrip(model: tfl.LayersModel, dir: string, x: tf.Tensor4D): Promise<number> {
  const path = join(dir, `${model.name}.json`);
  await model.save(fileIO(path));
  const { model: loaded, topology } = await loadTfjsModelFile(path);
  const imp = importLayersModel(loaded, {}, rawConfigs(topology));
  const exec = Executor.create(imp.spec, { seed: 1, initialValues: imp.initialValues });
  try {
    const ref = loaded.predict(x) as tf.Tensor;
    const [got0] = await exec.infer(x, [imp.outputLayer]);
    const got = imp.outputActivation === 'sigmoid' ? tf.sigmoid(got0) : got0;
    const e = rel(got, ref);
    tf.dispose([ref, got0, got]);
    return e;
  } finally {
    exec.dispose();
    loaded.dispose();
  }
}

/** A functional model with branches, shared inputs and every feature-map class. */
function functional(): tfl.LayersModel {
  const L = tfl.layers;
  const input = tfl.input({ shape: [17, 16, 3], name: 'image' });
  let x = L.rescaling({ scale: 2, offset: -0.5, name: 'scale' }).apply(input) as tfl.SymbolicTensor;
  x = L.zeroPadding2d({
    padding: [
      [1, 0],
      [0, 1],
    ],
    name: 'pad',
  }).apply(x) as tfl.SymbolicTensor;
  x = L.conv2d({
    filters: 8,
    kernelSize: 3,
    strides: 2,
    padding: 'valid',
    activation: 'relu',
    name: 'c1',
  }).apply(x) as tfl.SymbolicTensor;
  x = L.batchNormalization({ scale: false, name: 'bn1' }).apply(x) as tfl.SymbolicTensor;
  x = L.reLU({ maxValue: 6, name: 'r6' }).apply(x) as tfl.SymbolicTensor;
  const a = L.depthwiseConv2d({
    kernelSize: 3,
    depthMultiplier: 2,
    padding: 'same',
    activation: 'swish',
    name: 'dw',
  }).apply(x) as tfl.SymbolicTensor;
  const b = L.conv2d({
    filters: 16,
    kernelSize: 3,
    dilationRate: 2,
    padding: 'same',
    activation: 'sigmoid',
    name: 'dil',
  }).apply(x) as tfl.SymbolicTensor;
  let m = L.multiply({ name: 'mul' }).apply([a, b]) as tfl.SymbolicTensor;
  m = L.cropping2D({
    cropping: [
      [1, 0],
      [0, 1],
    ],
    name: 'crop',
  }).apply(m) as tfl.SymbolicTensor;
  const s = L.separableConv2d({
    filters: 12,
    kernelSize: 3,
    padding: 'same',
    activation: 'elu',
    name: 'sep',
  }).apply(m) as tfl.SymbolicTensor;
  const t = L.leakyReLU({ alpha: 0.2, name: 'leaky' }).apply(s) as tfl.SymbolicTensor;
  const p1 = L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'mp' }).apply(
    t,
  ) as tfl.SymbolicTensor;
  const p2 = L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'ap' }).apply(
    t,
  ) as tfl.SymbolicTensor;
  const cat = L.concatenate({ name: 'cat' }).apply([p1, p2]) as tfl.SymbolicTensor;
  const bn2 = L.batchNormalization({ center: false, name: 'bn2' }).apply(cat) as tfl.SymbolicTensor;
  const sum = L.add({ name: 'sum' }).apply([bn2, cat]) as tfl.SymbolicTensor;
  const act = L.activation({ activation: 'tanh', name: 'tanh' }).apply(sum) as tfl.SymbolicTensor;
  const g1 = L.globalAveragePooling2d({ name: 'gap' }).apply(act) as tfl.SymbolicTensor;
  const g2 = L.globalMaxPooling2d({ name: 'gmp' }).apply(act) as tfl.SymbolicTensor;
  let f = L.concatenate({ name: 'cat2' }).apply([g1, g2]) as tfl.SymbolicTensor;
  f = L.dense({ units: 10, activation: 'relu6', name: 'fc1' }).apply(f) as tfl.SymbolicTensor;
  f = L.dropout({ rate: 0.3, name: 'drop' }).apply(f) as tfl.SymbolicTensor;
  const out = L.dense({ units: 4, activation: 'softmax', name: 'fc2' }).apply(
    f,
  ) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: 'functional' });
}

/** A Sequential model: spatial dropout, flatten, reshape, linear output. */
function sequential(): tfl.LayersModel {
  const L = tfl.layers;
  const m = tfl.sequential({ name: 'sequential' });
  m.add(
    L.conv2d({
      inputShape: [12, 12, 1],
      filters: 4,
      kernelSize: 5,
      strides: 2,
      padding: 'same',
      activation: 'tanh',
      name: 's1',
    }),
  );
  m.add(spatialDropout2d({ rate: 0.2, name: 'sdrop' }));
  m.add(L.flatten({ name: 'flat' }));
  m.add(L.reshape({ targetShape: [6, 6, 4], name: 'back' }));
  m.add(L.conv2d({ filters: 3, kernelSize: 1, useBias: false, name: 's2' }));
  m.add(L.activation({ activation: 'softmax', name: 'chsoft' }));
  m.add(L.flatten({ name: 'flat2' }));
  m.add(L.dense({ units: 5, name: 'logits' }));
  return m;
}

/** A Sequential model around a nested functional one, with a sigmoid output. */
function nested(): tfl.LayersModel {
  const L = tfl.layers;
  const i = tfl.input({ shape: [8, 8, 3] });
  const c = L.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', name: 'inner_conv' }).apply(
    i,
  ) as tfl.SymbolicTensor;
  const p = L.globalAveragePooling2d({ name: 'inner_gap' }).apply(c) as tfl.SymbolicTensor;
  const base = tfl.model({ inputs: i, outputs: p, name: 'base' });
  const m = tfl.sequential({ name: 'outer' });
  m.add(base);
  m.add(L.dense({ units: 3, activation: 'sigmoid', name: 'head' }));
  return m;
}

describe('models built with tfl.layers', () => {
  test('functional: every feature-map class, branches, shared inputs', async (t) => {
    const model = functional();
    randomize(model, 1);
    const e = await roundTrip(model, tempDir(t, 'import'), digits(3, 17, 16));
    assert.ok(e < 1e-4, `relative error ${e}`);
  });
  test('sequential: spatial dropout, flatten, reshape, channel softmax, linear logits', async (t) => {
    const model = sequential();
    randomize(model, 2);
    const e = await roundTrip(model, tempDir(t, 'import'), digits(3, 12, 12, 1));
    assert.ok(e < 1e-4, `relative error ${e}`);
  });
  test('a nested model, sigmoid output', async (t) => {
    const model = nested();
    randomize(model, 3);
    const e = await roundTrip(model, tempDir(t, 'import'), digits(2, 8, 8));
    assert.ok(e < 1e-4, `relative error ${e}`);
  });

  test('the spec: names, split layers, explicit padding, frozen layers, the head', async (t) => {
    const model = functional();
    model.getLayer('c1').trainable = false;
    const path = join(tempDir(t, 'import'), 'm.json');
    await model.save(fileIO(path));
    const { model: loaded, topology } = await loadTfjsModelFile(path);
    const imp = importLayersModel(loaded, {}, rawConfigs(topology));
    const names = imp.spec.layers.map((l) => l.name);
    assert.deepEqual(names.slice(0, 4), ['image', 'scale', 'pad', 'c1']);
    assert.ok(
      names.includes('c1/relu') && names.includes('sep/depthwise') && names.includes('sep'),
    );
    assert.equal(names[names.length - 1], 'loss');
    assert.ok(!names.includes('fc2/softmax'), 'the final softmax joins the loss');
    const dil = imp.spec.layers.find((l) => l.name === 'dil');
    assert.deepEqual(dil?.kind === 'conv2d' && [dil.pad, dil.dilation], [
      [2, 2, 2, 2],
      [2, 2],
    ]);
    assert.deepEqual(imp.frozen, ['c1']);
    assert.equal(imp.spec.layers.find((l) => l.name === 'c1')?.frozen, true);
    assert.deepEqual(imp.head, { layer: 'fc2', units: 4, replaced: false });
    const re = importLayersModel(loaded, { classes: 7, freezeTo: 'sep' }, rawConfigs(topology));
    assert.equal(re.spec.numClasses, 7);
    assert.deepEqual(re.head, { layer: 'fc2', units: 7, replaced: true });
    assert.ok(!re.initialValues.has('fc2/weight') && re.initialValues.has('fc1/weight'));
    const frozen = re.spec.layers.filter((l) => l.frozen).map((l) => l.name);
    assert.ok(frozen.includes('sep') && frozen.includes('c1') && !frozen.includes('leaky'));
    const none = importLayersModel(loaded, { freezeTo: 'none' }, rawConfigs(topology));
    assert.equal(none.spec.layers.filter((l) => l.frozen).length, 0);
    assert.throws(
      () => importLayersModel(loaded, { freezeTo: 'nope' }, new Map()),
      /--freeze-to: the model has no layer 'nope'/,
    );
    loaded.dispose();
  });

  test("Keras ReLU's negative_slope and threshold, which tfjs drops, are applied", async (t) => {
    const i = tfl.input({ shape: [2, 3, 1] });
    const f = tfl.layers.flatten({ name: 'f' }).apply(i) as tfl.SymbolicTensor;
    const d = tfl.layers.dense({ units: 6, name: 'd' }).apply(f) as tfl.SymbolicTensor;
    const r = tfl.layers.reLU({ name: 'r' }).apply(d) as tfl.SymbolicTensor;
    const o = tfl.layers.dense({ units: 3, name: 'o' }).apply(r) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: i, outputs: o });
    randomize(model, 4);
    const path = join(tempDir(t, 'import'), 'relu.json');
    await model.save(fileIO(path));
    const json = JSON.parse(readFileSync(path, 'utf8')) as {
      modelTopology: { config: { layers: { config: Record<string, unknown> }[] } };
    };
    const relu = json.modelTopology.config.layers.find((l) => l.config.name === 'r');
    Object.assign(relu!.config, { negative_slope: 0.5, threshold: 0.1, max_value: 0.8 });
    writeFileSync(path, JSON.stringify(json));
    const { model: loaded, topology } = await loadTfjsModelFile(path);
    const imp = importLayersModel(loaded, {}, rawConfigs(topology));
    assert.equal(imp.spec.layers.find((l) => l.name === 'r')?.kind, 'activation_x');
    const exec = Executor.create(imp.spec, { seed: 1, initialValues: imp.initialValues });
    const x = tf.randomNormal([4, 2, 3, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    const probe = tfl.model({
      inputs: loaded.inputs,
      outputs: loaded.getLayer('d').output as tfl.SymbolicTensor,
    });
    const z = (probe.predict(x) as tf.Tensor).dataSync();
    const [got] = await exec.infer(x, ['r']);
    const g = got.dataSync();
    z.forEach((v, k) => {
      const keras = v >= 0.8 ? 0.8 : v >= 0.1 ? v : 0.5 * (v - 0.1);
      assert.ok(Math.abs(g[k] - keras) < 1e-6, `${g[k]} vs ${keras}`);
    });
    tf.dispose([x, got]);
    exec.dispose();
    loaded.dispose();
  });
});

test("a model built in code right after a load draws on no loaded model's weight budget", async (t) => {
  const dir = tempDir(t, 'import');
  const m = nested();
  await m.save(fileIO(join(dir, 'm.json')));
  const loaded = await loadTfjsModel(join(dir, 'm.json'));
  // Same turn of the event loop: the exporter builds a new head like this.
  const head = tfl.layers.dense({ units: 7, name: 'head2' });
  const out = head.apply(loaded.getLayer('head').input as tfl.SymbolicTensor) as tfl.SymbolicTensor;
  const rebuilt = tfl.model({ inputs: loaded.inputs, outputs: out });
  assert.deepEqual(rebuilt.outputs[0].shape, [null, 7]);
  loaded.dispose();
});

describe('errors', () => {
  test('an unsupported layer names itself, its class and what is supported', async () => {
    await withTempDir(async (dir) => {
      const i = tfl.input({ shape: [8, 8, 3] });
      const c = tfl.layers
        .conv2d({ filters: 2, kernelSize: 3, name: 'c' })
        .apply(i) as tfl.SymbolicTensor;
      const u = tfl.layers
        .upSampling2d({ size: [2, 2], name: 'up' })
        .apply(c) as tfl.SymbolicTensor;
      const f = tfl.layers.flatten().apply(u) as tfl.SymbolicTensor;
      const model = tfl.model({
        inputs: i,
        outputs: tfl.layers.dense({ units: 2 }).apply(f) as tfl.SymbolicTensor,
      });
      const path = join(dir, 'm.json');
      await model.save(fileIO(path));
      const { model: loaded } = await loadTfjsModelFile(path);
      assert.throws(
        () => importLayersModel(loaded),
        /^InvalidArgumentError: layer 'up' \(UpSampling2D\): this layer class is not supported; cdma imports InputLayer, Conv2D, .*Rescaling$/,
      );
      loaded.dispose();
    }, 'import');
  });
  test('a model with two outputs, or an output that is not [batch, classes], is refused', () => {
    const i = tfl.input({ shape: [4, 4, 1] });
    const c = tfl.layers.conv2d({ filters: 2, kernelSize: 1 }).apply(i) as tfl.SymbolicTensor;
    const f = tfl.layers.flatten().apply(c) as tfl.SymbolicTensor;
    const d1 = tfl.layers.dense({ units: 2 }).apply(f) as tfl.SymbolicTensor;
    const d2 = tfl.layers.dense({ units: 3 }).apply(f) as tfl.SymbolicTensor;
    assert.throws(
      () => importLayersModel(tfl.model({ inputs: i, outputs: [d1, d2] })),
      /has 2 outputs/,
    );
    assert.throws(
      () => importLayersModel(tfl.model({ inputs: i, outputs: c })),
      /output is \[batch, 4, 4, 2\]; cdma trains classifiers/,
    );
  });
});

describe('pretrained networks from nsfwjs@4.4.0', () => {
  for (const [name, size] of [
    ['mobilenet_v2', 224],
    ['inception_v3', 299],
  ] as const) {
    test(`${name}: the executor's forward pass equals predict on real images`, async (t) => {
      const path = writeNsfwModel(name, join(tempDir(t, 'nsfw'), name));
      const { model, topology } = await loadTfjsModelFile(path);
      const imp = importLayersModel(model, {}, rawConfigs(topology));
      const exec = Executor.create(imp.spec, { seed: 1, initialValues: imp.initialValues });
      const x = digits(2, size, size);
      try {
        const ref = model.predict(x) as tf.Tensor;
        const [got] = await exec.infer(x, [imp.outputLayer]);
        const e = rel(got, ref);
        assert.ok(e < 1e-4, `relative error ${e}`);
        assert.deepEqual(got.shape, [2, 5]);
        tf.dispose([ref, got]);
      } finally {
        tf.dispose(x);
        exec.dispose();
        model.dispose();
      }
    });
  }
});
