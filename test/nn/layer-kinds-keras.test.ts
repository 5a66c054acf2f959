/**
 * The layer kinds added for imported Keras models (depthwise convolution,
 * dilated convolution, activations, padding, cropping, global max pooling,
 * reshape, rescaling, multiply, spatial dropout, batchnorm without scale or
 * centre, frozen batchnorm): explicit backward against TensorFlow.js
 * autograd on the cpu backend (where tfjs has a gradient), against central
 * finite differences, and the wasm backend's forward and backward against
 * the cpu backend's.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/nn/backend.js';
import type { LayerSpec } from '../../src/nn/spec.js';
import { buildLayer, finiteDiffError, gradCheck, rand, relErr } from './layer-helpers.js';

type Case = [title: string, spec: LayerSpec, shapes: number[][], batch: number, autograd: boolean];

const dw = (o: Partial<Extract<LayerSpec, { kind: 'depthwise2d' }>>): LayerSpec => ({
  kind: 'depthwise2d',
  name: 'dw',
  inputs: ['x'],
  multiplier: 1,
  kernel: [3, 3],
  stride: [1, 1],
  pad: [1, 1, 1, 1],
  bias: true,
  ...o,
});
const act = (fn: string, o: Record<string, number> = {}, kind = 'activation'): LayerSpec =>
  ({ kind, name: `a_${fn}`, inputs: ['x'], fn, ...o }) as LayerSpec;

const CASES: Case[] = [
  ['depthwise 3x3 same', dw({}), [[3, 6, 6]], 2, true],
  ['depthwise multiplier 2, no bias', dw({ multiplier: 2, bias: false }), [[2, 5, 5]], 2, true],
  [
    'depthwise stride 2, asymmetric pad',
    dw({ stride: [2, 2], pad: [0, 1, 0, 1] }),
    [[3, 7, 6]],
    2,
    true,
  ],
  [
    'depthwise 5x3 stride 2 valid',
    dw({ kernel: [5, 3], stride: [2, 2], pad: [0, 0, 0, 0] }),
    [[2, 9, 8]],
    2,
    true,
  ],
  ['depthwise dilation 2', dw({ dilation: [2, 2], pad: [2, 2, 2, 2] }), [[2, 7, 7]], 2, false],
  [
    'conv2d dilation 2x3',
    {
      kind: 'conv2d',
      name: 'c',
      inputs: ['x'],
      filters: 4,
      kernel: [3, 3],
      stride: [1, 1],
      pad: [2, 2, 3, 3],
      groups: 1,
      bias: true,
      dilation: [2, 3],
    },
    [[3, 8, 9]],
    2,
    false,
  ],
  [
    'conv2d dilation 2, groups 2',
    {
      kind: 'conv2d',
      name: 'c',
      inputs: ['x'],
      filters: 4,
      kernel: [2, 2],
      stride: [1, 1],
      pad: [0, 0, 0, 0],
      groups: 2,
      bias: false,
      dilation: [2, 2],
    },
    [[4, 6, 6]],
    2,
    false,
  ],
  ['relu6', act('relu6', {}), [[3, 4, 4]], 2, true],
  [
    'relu_ext max 0.5 threshold 0.2',
    act('relu_ext', { max: 0.5, threshold: 0.2 }),
    [[3, 4, 4]],
    2,
    false,
  ],
  ['relu_ext slope 0.1', act('relu_ext', { slope: 0.1, max: 0.6 }), [[6]], 3, false],
  [
    'relu_ext slope 0.1 threshold -0.2 (input-saving)',
    act('relu_ext', { slope: 0.1, threshold: -0.2 }, 'activation_x'),
    [[6]],
    3,
    false,
  ],
  ['leaky_relu', act('leaky_relu', { alpha: 0.2 }), [[3, 4, 4]], 2, true],
  ['elu', act('elu', { alpha: 1 }), [[3, 4, 4]], 2, true],
  ['elu alpha 0.5', act('elu', { alpha: 0.5 }), [[5]], 2, false],
  ['sigmoid', act('sigmoid'), [[3, 4, 4]], 2, true],
  ['tanh', act('tanh'), [[6]], 2, true],
  ['softmax over channels', act('softmax'), [[4, 3, 3]], 2, true],
  ['swish', act('swish', {}, 'activation_x'), [[3, 4, 4]], 2, true],
  [
    'zeropad',
    { kind: 'zeropad', name: 'p', inputs: ['x'], pad: [0, 1, 2, 1] },
    [[2, 3, 4]],
    2,
    true,
  ],
  ['crop', { kind: 'crop', name: 'p', inputs: ['x'], crop: [1, 0, 1, 2] }, [[2, 4, 5]], 2, true],
  ['globalmaxpool', { kind: 'globalmaxpool', name: 'g', inputs: ['x'] }, [[3, 4, 4]], 2, true],
  ['reshape', { kind: 'reshape', name: 'r', inputs: ['x'], shape: [6, 2, 2] }, [[24]], 2, true],
  [
    'rescale',
    { kind: 'rescale', name: 'r', inputs: ['x'], scale: 1 / 127.5, offset: -1 },
    [[3, 2, 2]],
    2,
    true,
  ],
  [
    'multiply, 3 inputs',
    { kind: 'multiply', name: 'm', inputs: ['a', 'b', 'c'] },
    [
      [2, 3, 3],
      [2, 3, 3],
      [2, 3, 3],
    ],
    2,
    true,
  ],
  [
    'batchnorm without scale',
    { kind: 'batchnorm', name: 'bn', inputs: ['x'], epsilon: 1e-3, momentum: 0.01, scale: false },
    [[3, 3, 3]],
    2,
    false, // tfjs autograd of batchNorm fails without a scale
  ],
  [
    'batchnorm without centre',
    { kind: 'batchnorm', name: 'bn', inputs: ['x'], epsilon: 1e-3, momentum: 0.01, center: false },
    [[4]],
    5,
    false,
  ],
];

function nhwc(batch: number, s: number[]): number[] {
  return s.length === 3 ? [batch, s[1], s[2], s[0]] : [batch, ...s];
}

/** Forward output, explicit input and parameter gradients, as arrays (batch of seeded inputs). */
function explicitOn(spec: LayerSpec, shapes: number[][], batch: number): Float32Array[] {
  return tf.tidy(() => {
    const { layer, params } = buildLayer(spec, shapes);
    const xs = shapes.map((s, i) => rand(nhwc(batch, s), 20 + i));
    const r0 = layer.forward(xs, {
      training: true,
      seed: 5,
      step: 3,
      labels: tf.tensor1d([0], 'int32'),
    });
    const saved = {
      input: xs[0],
      inputs: xs,
      output: r0.output,
      mask: r0.mask,
    };
    const b = layer.backward({
      dy: rand(r0.output.shape, 99),
      saved,
      state: r0.state ?? [],
      needInputGrad: xs.map(() => true),
      labels: tf.tensor1d([0], 'int32'),
    });
    const r = [r0.output, ...b.inputGrads.map((g) => g as tf.Tensor), ...b.paramGrads].map(
      (t) => t.dataSync().slice() as Float32Array,
    );
    params.forEach((p) => p.value.dispose());
    return r;
  });
}

describe('Keras layer kinds: backward against autograd and finite differences (cpu)', () => {
  before(() => initBackend('cpu'));
  for (const [title, spec, shapes, batch, withAutograd] of CASES) {
    test(title, () => {
      tf.tidy(() => {
        const { layer, params } = buildLayer(spec, shapes);
        const xs = shapes.map((s, i) => rand(nhwc(batch, s), 20 + i));
        if (withAutograd) {
          const { explicit, autograd } = gradCheck(layer, params, xs);
          assert.equal(explicit.length, autograd.length);
          explicit.forEach((g, i) => {
            assert.deepEqual(g.shape, autograd[i].shape, `gradient ${i} shape`);
            const e = relErr(g, autograd[i]);
            assert.ok(e < 2e-5, `gradient ${i}: relative error ${e}`);
          });
        }
        const e = finiteDiffError(layer, params, xs, { eps: 2e-3 });
        assert.ok(e < 2e-2, `finite differences: relative error ${e}`);
        params.forEach((p) => p.value.dispose());
      });
    });
  }
});

describe('Keras layer kinds: wasm forward and backward equal cpu', () => {
  after(() => initBackend('wasm'));
  for (const [title, spec, shapes, batch] of CASES) {
    test(title, async () => {
      await initBackend('cpu');
      const cpu = explicitOn(spec, shapes, batch);
      await initBackend('wasm');
      const wasm = explicitOn(spec, shapes, batch);
      assert.equal(wasm.length, cpu.length);
      cpu.forEach((c, i) => {
        const e = relErr(tf.tensor(wasm[i]), tf.tensor(c));
        assert.ok(e < 2e-5, `${i === 0 ? 'output' : `gradient ${i - 1}`}: relative error ${e}`);
      });
    });
  }
});

describe('frozen batchnorm', () => {
  before(() => initBackend('cpu'));
  test('normalises with the running statistics in training, leaves them, and its dX matches autograd', () => {
    tf.tidy(() => {
      const spec: LayerSpec = {
        kind: 'batchnorm',
        name: 'bn',
        inputs: ['x'],
        epsilon: 1e-3,
        momentum: 0.1,
        frozen: true,
      };
      const { layer, params, buffers } = buildLayer(spec, [[3, 2, 2]]);
      buffers[0].value.assign(tf.tensor1d([0.5, -0.2, 0.1]));
      buffers[1].value.assign(tf.tensor1d([2, 0.5, 1.5]));
      const x = rand([2, 2, 2, 3], 3);
      const train = layer.forward([x], {
        training: true,
        seed: 1,
        step: 0,
        labels: tf.tensor1d([0], 'int32'),
      });
      const infer = layer.forward([x], {
        training: false,
        seed: 1,
        step: 0,
        labels: tf.tensor1d([0], 'int32'),
      });
      assert.equal(relErr(train.output, infer.output), 0);
      assert.deepEqual(
        Array.from(buffers[0].value.dataSync()),
        Array.from(new Float32Array([0.5, -0.2, 0.1])),
      );
      const { explicit, autograd } = gradCheck(layer, params, [x]);
      assert.ok(relErr(explicit[0], autograd[0]) < 2e-5);
      params.forEach((p) => p.value.dispose());
      buffers.forEach((b) => b.value.dispose());
    });
  });
});
