/**
 * The executor with the kinds imported Keras models use: a network with
 * depthwise and dilated convolutions, every activation kind, padding,
 * cropping, multiply (every input saved), reshape, rescaling, spatial
 * dropout and global max pooling trains to the oracle's exact weights when
 * the memory manager offloads; frozen layers keep their parameters; starting
 * values replace the seeded initialisation; infer gives the forward outputs.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/nn/backend.js';
import { Executor } from '../../src/nn/executor.js';
import type { LayerSpec, ModelSpec } from '../../src/nn/spec.js';
import { MemoryManager } from '../../src/memory/manager.js';
import { DEFAULT_MEMORY_CONFIG } from '../../src/memory/config.js';
import { ModelPlan } from '../../src/plan/index.js';
import { runSteps } from '../memory/train-helper.js';

before(() => initBackend('wasm'));

function kerasLike(frozen: readonly string[] = []): ModelSpec {
  const L = (l: LayerSpec): LayerSpec => (frozen.includes(l.name) ? { ...l, frozen: true } : l);
  const layers: LayerSpec[] = [
    { kind: 'input', name: 'in', inputs: [], shape: [3, 12, 12] },
    { kind: 'rescale', name: 'scale', inputs: ['in'], scale: 0.5, offset: -0.1 },
    { kind: 'zeropad', name: 'pad', inputs: ['scale'], pad: [0, 1, 0, 1] },
    {
      kind: 'conv2d',
      name: 'c1',
      inputs: ['pad'],
      filters: 8,
      kernel: [3, 3],
      stride: [2, 2],
      pad: [0, 0, 0, 0],
      groups: 1,
      bias: false,
    },
    { kind: 'batchnorm', name: 'bn1', inputs: ['c1'], epsilon: 1e-3, momentum: 0.01, scale: false },
    { kind: 'activation', name: 'r6', inputs: ['bn1'], fn: 'relu6' },
    {
      kind: 'depthwise2d',
      name: 'dw',
      inputs: ['r6'],
      multiplier: 2,
      kernel: [3, 3],
      stride: [1, 1],
      pad: [1, 1, 1, 1],
      bias: true,
    },
    { kind: 'activation_x', name: 'sw', inputs: ['dw'], fn: 'swish' },
    {
      kind: 'conv2d',
      name: 'dil',
      inputs: ['r6'],
      filters: 16,
      kernel: [3, 3],
      stride: [1, 1],
      pad: [2, 2, 2, 2],
      groups: 1,
      bias: true,
      dilation: [2, 2],
    },
    { kind: 'activation', name: 'sig', inputs: ['dil'], fn: 'sigmoid' },
    { kind: 'multiply', name: 'mul', inputs: ['sw', 'sig'] },
    { kind: 'crop', name: 'crop', inputs: ['mul'], crop: [1, 0, 0, 1] },
    { kind: 'dropout', name: 'sdrop', inputs: ['crop'], rate: 0.25, spatial: true },
    { kind: 'activation', name: 'elu', inputs: ['sdrop'], fn: 'elu', alpha: 1 },
    { kind: 'globalmaxpool', name: 'gmp', inputs: ['elu'] },
    { kind: 'reshape', name: 'rs', inputs: ['gmp'], shape: [16, 1, 1] },
    { kind: 'flatten', name: 'fl', inputs: ['rs'] },
    { kind: 'dense', name: 'fc', inputs: ['fl'], units: 5, bias: true },
    { kind: 'softmax_ce', name: 'loss', inputs: ['fc'] },
  ];
  return { name: 'keras-like', description: 'test', numClasses: 5, layers: layers.map(L) };
}

test('offloading every saved buffer (multiply saves both inputs) keeps the oracle weights', async () => {
  const spec = kerasLike();
  const plan = ModelPlan.of(spec);
  const mulKeys = [plan.keyOf(10, 'input', 0), plan.keyOf(10, 'input', 1)];
  assert.deepEqual(mulKeys, ['a:sw', 'a:sig']);
  const oracle = await runSteps(spec, { batch: 3, steps: 2 });
  for (const [policy, codec] of [
    ['all', 'zvc'],
    ['all', 'zlib'],
    ['conv', 'none'],
  ] as const) {
    const m = await MemoryManager.create({
      config: { ...DEFAULT_MEMORY_CONFIG, policy, codec: { id: codec } },
      spec,
      batch: 3,
    });
    try {
      const r = await runSteps(spec, { batch: 3, steps: 2, store: m });
      assert.equal(r.hash, oracle.hash, `${policy}/${codec}`);
      assert.equal(m.liveEntries, 0);
      assert.ok(m.steps.reduce((a, s) => a + s.offloadedRawBytes, 0) > 0);
    } finally {
      await m.close();
    }
  }
});

test('frozen layers keep their parameters and running statistics; the others train', async () => {
  const spec = kerasLike(['c1', 'bn1', 'dw']);
  const plan = ModelPlan.of(spec);
  assert.equal(plan.graph.needsBackward[3], false, 'frozen prefix runs no backward');
  assert.equal(plan.graph.needsBackward[6], false);
  assert.equal(plan.graph.needsBackward[8], true);
  const exec = Executor.create(spec, { seed: 3 });
  const before = new Map(
    [...exec.params, ...exec.buffers].map((p) => [p.name, p.value.dataSync().slice()]),
  );
  const x = tf.randomNormal([4, 12, 12, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  await exec.trainStep(x, new Int32Array([0, 1, 2, 3]), 0);
  const frozen = [
    'c1/weight',
    'bn1/beta',
    'bn1/running_mean',
    'bn1/running_var',
    'dw/weight',
    'dw/bias',
  ];
  for (const p of exec.params) {
    if (frozen.includes(p.name)) assert.equal(p.grad, null, `${p.name} has a gradient`);
    else assert.notEqual(p.grad, null, `${p.name} has no gradient`);
  }
  for (const b of exec.buffers) {
    assert.deepEqual(b.value.dataSync(), before.get(b.name), `${b.name} changed`);
  }
  x.dispose();
  exec.dispose();
});

test('starting values replace the seeded initialisation and must name a parameter of the right size', () => {
  const spec = kerasLike();
  const w = new Float32Array(16 * 5).map((_, i) => i / 100);
  const mean = new Float32Array(8).fill(0.25);
  const exec = Executor.create(spec, {
    seed: 1,
    initialValues: new Map([
      ['fc/weight', w],
      ['bn1/running_mean', mean],
    ]),
  });
  assert.deepEqual(exec.params.find((p) => p.name === 'fc/weight')?.value.dataSync(), w);
  assert.deepEqual(exec.buffers.find((b) => b.name === 'bn1/running_mean')?.value.dataSync(), mean);
  exec.dispose();
  assert.throws(
    () => Executor.create(spec, { seed: 1, initialValues: new Map([['fc/kernel', w]]) }),
    /has no parameter or buffer 'fc\/kernel'/,
  );
  assert.throws(
    () => Executor.create(spec, { seed: 1, initialValues: new Map([['fc/weight', mean]]) }),
    /'fc\/weight' has 8 elements; its shape \[16, 5\] needs 80/,
  );
});

test('infer gives the outputs of the named layers in inference mode', async () => {
  const spec = kerasLike();
  const exec = Executor.create(spec, { seed: 2 });
  const x = tf.randomNormal([2, 12, 12, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
  const [probs, logits] = await exec.infer(x, ['loss', 'fc']);
  assert.deepEqual(probs.shape, [2, 5]);
  const expected = tf.softmax(logits);
  const d = tf.max(tf.abs(tf.sub(probs, expected))).dataSync()[0];
  assert.ok(d < 1e-6, `softmax differs by ${d}`);
  const ev = await exec.evaluate(x, new Int32Array([0, 0]));
  const p0 = probs.dataSync();
  assert.ok(Math.abs(ev.loss + (Math.log(p0[0]) + Math.log(p0[5])) / 2) < 1e-5);
  await assert.rejects(exec.infer(x, ['nope']), /has no layer 'nope'/);
  tf.dispose([x, probs, logits, expected]);
  exec.dispose();
});
