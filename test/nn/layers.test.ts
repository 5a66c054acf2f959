/**
 * Each layer kind's explicit backward against TensorFlow.js autograd
 * (tf.variableGrads) on small shapes, on the cpu and the wasm backend, and
 * against central finite differences for a few kinds (cpu backend).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers registers tfjs's gradients: autograd is the reference for the hand-written backward passes.
import '@tensorflow/tfjs-layers';
import { initBackend, type BackendName } from '../../src/nn/backend.js';
import type { LayerSpec } from '../../src/nn/spec.js';
import { buildLayer, finiteDiffError, gradCheck, rand, relErr } from './layer-helpers.js';

const conv = (o: Partial<Extract<LayerSpec, { kind: 'conv2d' }>>): LayerSpec => ({
  kind: 'conv2d',
  name: 'c',
  inputs: ['x'],
  filters: 4,
  kernel: [3, 3],
  stride: [1, 1],
  pad: [1, 1, 1, 1],
  groups: 1,
  bias: true,
  ...o,
});

/** Layer spec, spec-style input shapes (no batch), batch size. */
const CASES: [string, LayerSpec, number[][], number][] = [
  ['conv2d 3x3 pad 1', conv({}), [[3, 6, 6]], 2],
  [
    'conv2d 5x3 stride 2 asymmetric pad',
    conv({ kernel: [5, 3], stride: [2, 2], pad: [2, 1, 0, 1] }),
    [[3, 7, 8]],
    2,
  ],
  ['conv2d groups 2 no bias', conv({ groups: 2, filters: 6, bias: false }), [[4, 5, 5]], 2],
  [
    'conv2d 1x1 stride 3',
    conv({ kernel: [1, 1], stride: [3, 3], pad: [0, 0, 0, 0] }),
    [[2, 7, 7]],
    2,
  ],
  ['relu', { kind: 'relu', name: 'r', inputs: ['x'] }, [[3, 4, 4]], 2],
  [
    'maxpool 3x3 stride 2 ceil pad',
    {
      kind: 'maxpool',
      name: 'p',
      inputs: ['x'],
      kernel: [3, 3],
      stride: [2, 2],
      pad: [0, 1, 0, 1],
    },
    [[3, 6, 6]],
    2,
  ],
  [
    'avgpool 2x2 stride 2',
    {
      kind: 'avgpool',
      name: 'p',
      inputs: ['x'],
      kernel: [2, 2],
      stride: [2, 2],
      pad: [0, 0, 0, 0],
    },
    [[3, 6, 6]],
    2,
  ],
  ['globalavgpool', { kind: 'globalavgpool', name: 'g', inputs: ['x'] }, [[5, 3, 4]], 2],
  [
    'lrn',
    { kind: 'lrn', name: 'n', inputs: ['x'], size: 5, alpha: 1e-1, beta: 0.75, k: 2 },
    [[7, 3, 3]],
    2,
  ],
  ['dense', { kind: 'dense', name: 'd', inputs: ['x'], units: 5, bias: true }, [[12]], 3],
  ['dropout', { kind: 'dropout', name: 'drop', inputs: ['x'], rate: 0.4 }, [[20]], 3],
  [
    'concat',
    { kind: 'concat', name: 'cat', inputs: ['x', 'y'] },
    [
      [2, 3, 3],
      [3, 3, 3],
    ],
    2,
  ],
  [
    'add',
    { kind: 'add', name: 'a', inputs: ['x', 'y'] },
    [
      [3, 3, 3],
      [3, 3, 3],
    ],
    2,
  ],
  ['flatten', { kind: 'flatten', name: 'f', inputs: ['x'] }, [[3, 2, 2]], 2],
  [
    'batchnorm (feature maps)',
    { kind: 'batchnorm', name: 'bn', inputs: ['x'], epsilon: 1e-5, momentum: 0.1 },
    [[3, 4, 4]],
    3,
  ],
  [
    'batchnorm (features)',
    { kind: 'batchnorm', name: 'bn', inputs: ['x'], epsilon: 1e-3, momentum: 0.1 },
    [[6]],
    5,
  ],
  ['softmax_ce', { kind: 'softmax_ce', name: 'loss', inputs: ['x'] }, [[5]], 4],
];

function nhwc(batch: number, s: number[]): number[] {
  return s.length === 3 ? [batch, s[1], s[2], s[0]] : [batch, ...s];
}

function labelsFor(batch: number, classes: number): tf.Tensor {
  return tf.tensor1d(
    Array.from({ length: batch }, (_, i) => (i * 3) % classes),
    'int32',
  );
}

for (const backend of ['cpu', 'wasm'] as BackendName[]) {
  describe(`layer backward matches autograd (${backend})`, () => {
    before(() => initBackend(backend));
    for (const [title, spec, shapes, batch] of CASES) {
      test(title, () => {
        tf.tidy(() => {
          const { layer, params } = buildLayer(spec, shapes);
          const xs = shapes.map((s, i) => rand(nhwc(batch, s), 20 + i));
          const labels = labelsFor(batch, shapes[0][0]);
          const { explicit, autograd } = gradCheck(layer, params, xs, { labels });
          assert.equal(explicit.length, autograd.length);
          explicit.forEach((g, i) => {
            assert.deepEqual(g.shape, autograd[i].shape, `gradient ${i} shape`);
            const e = relErr(g, autograd[i]);
            assert.ok(e < 2e-5, `gradient ${i}: relative error ${e}`);
          });
          params.forEach((p) => p.value.dispose());
        });
      });
    }
  });
}

describe('layer backward matches finite differences (cpu)', () => {
  before(() => initBackend('cpu'));
  after(() => initBackend('wasm'));
  const fd: [string, LayerSpec, number[][], number][] = [
    ['conv2d stride 2', conv({ stride: [2, 2], pad: [1, 0, 1, 0] }), [[2, 5, 5]], 2],
    ['conv2d groups 2', conv({ groups: 2, filters: 4 }), [[2, 4, 4]], 1],
    ['dense', { kind: 'dense', name: 'd', inputs: ['x'], units: 3, bias: true }, [[5]], 2],
    [
      'lrn',
      { kind: 'lrn', name: 'n', inputs: ['x'], size: 3, alpha: 0.5, beta: 0.75, k: 1 },
      [[4, 2, 2]],
      2,
    ],
    // tfjs autograd spreads padded windows' gradients wrongly (1/(kh*kw)); the layer does not.
    [
      'avgpool 3x3 stride 2 pad 1',
      {
        kind: 'avgpool',
        name: 'p',
        inputs: ['x'],
        kernel: [3, 3],
        stride: [2, 2],
        pad: [1, 1, 1, 1],
      },
      [[2, 5, 5]],
      2,
    ],
    [
      'batchnorm',
      { kind: 'batchnorm', name: 'bn', inputs: ['x'], epsilon: 1e-3, momentum: 0.1 },
      [[2, 3, 3]],
      2,
    ],
    ['softmax_ce', { kind: 'softmax_ce', name: 'loss', inputs: ['x'] }, [[4]], 3],
  ];
  for (const [title, spec, shapes, batch] of fd) {
    test(title, () => {
      tf.tidy(() => {
        const { layer, params } = buildLayer(spec, shapes);
        const xs = shapes.map((s, i) => rand(nhwc(batch, s), 40 + i));
        const labels = labelsFor(batch, shapes[0][0]);
        const e = finiteDiffError(layer, params, xs, { labels, eps: 5e-3 });
        assert.ok(e < 2e-2, `relative error ${e}`);
        params.forEach((p) => p.value.dispose());
      });
    });
  }
});
