import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';

const run = runCli;

test('cdma models lists every zoo network with its size', async () => {
  const r = await run('models');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^alexnet\s+3x227x227\s+60,965,224\s+1\.458\s/m);
  assert.match(r.out, /^vgg16\s+3x224x224\s+138,357,544\s/m);
  assert.match(r.out, /^resnet18-small\s+1x28x28\s/m);
  assert.equal(r.out.match(/^\S+-small\s/gm)?.length, 7);
});

test('cdma models --json gives the zoo as data', async () => {
  const r = await run('models', '--json', '--batch', '2');
  assert.equal(r.code, 0, r.err);
  const list = JSON.parse(r.out) as { name: string; params: number; savedBytes: number }[];
  assert.equal(list.length, 20);
  const vgg = list.find((m) => m.name === 'vgg16')!;
  assert.equal(vgg.params, 138_357_544);
  const one = JSON.parse((await run('models', '--json')).out) as typeof list;
  assert.equal(vgg.savedBytes, 2 * one.find((m) => m.name === 'vgg16')!.savedBytes);
});

test('cdma models NAME --batch lists layers with totals', async () => {
  const r = await run('models', 'vgg16', '--batch', '64');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /batch 64/);
  assert.match(r.out, /^\s*\d+\s+pool5\s+maxpool\s+512x7x7\s+0\s/m);
  assert.match(r.out, /^\s+total\s+138,357,544\s/m);
  // 64 examples x 224x224x64 conv1_1 outputs x 4 bytes, saved by the ReLU (and conv1_2)
  assert.match(r.out, /^\s*2\s+conv1_1\/relu\s+relu\s+64x224x224\s+0\s+\S+\s+\S+\s+784\.00$/m);
});

test('cdma models NAME --json reports per-layer saved bytes at the batch', async () => {
  const r = await run(
    'models',
    'alexnet-small',
    '--json',
    '--batch',
    '8',
    '--input',
    '3x32x32',
    '--classes',
    '100',
  );
  assert.equal(r.code, 0, r.err);
  const m = JSON.parse(r.out) as {
    batch: number;
    numClasses: number;
    savedBytes: number;
    layers: { name: string; outputShape: number[]; savedBytes: number }[];
    saved: { bytes: number }[];
  };
  assert.equal(m.batch, 8);
  assert.equal(m.numClasses, 100);
  assert.deepEqual(m.layers[0].outputShape, [3, 32, 32]);
  assert.deepEqual(m.layers.find((l) => l.name === 'conv1')!.outputShape, [32, 32, 32]);
  assert.equal(m.layers.find((l) => l.name === 'conv1')!.savedBytes, 8 * 3 * 32 * 32 * 4);
  assert.equal(
    m.savedBytes,
    m.saved.reduce((s, t) => s + t.bytes, 0),
  );
});

test('cdma models rejects bad arguments with one line and exit 1', async () => {
  for (const [args, re] of [
    [['models', 'lenet'], /unknown model 'lenet'; valid models: alexnet/],
    [['models', 'vgg16', '--batch', '0'], /--batch must be an integer/],
    [['models', 'vgg16', '--batch', '1e3'], /--batch must be an integer/],
    [['models', 'alexnet', '--input', '3x32x32'], /cannot take input \[3,32,32\]/],
    [['models', 'nin', '--input', '3x32'], /--input must be CxHxW/],
    [['models', '--classes', '10'], /need a model NAME/],
  ] as const) {
    const r = await run(...args);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.err, re);
    assert.equal(r.err.trim().split('\n').length, 1);
    assert.equal(r.out, '');
  }
});
