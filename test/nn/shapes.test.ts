import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeModel } from '../../src/nn/shapes.js';
import type { LayerSpec, ModelSpec } from '../../src/nn/spec.js';
import { InvalidArgumentError } from '../../src/errors.js';

/** data 3x8x8 -> conv 4@3x3 pad1 -> relu -> maxpool 2 -> flatten -> dense 10 -> softmax_ce */
function tiny(over: Partial<Record<string, Partial<LayerSpec>>> = {}): ModelSpec {
  const layers: LayerSpec[] = [
    { kind: 'input', name: 'data', inputs: [], shape: [3, 8, 8] },
    {
      kind: 'conv2d',
      name: 'conv',
      inputs: ['data'],
      filters: 4,
      kernel: [3, 3],
      stride: [1, 1],
      pad: [1, 1, 1, 1],
      groups: 1,
      bias: true,
    },
    { kind: 'relu', name: 'relu', inputs: ['conv'] },
    {
      kind: 'maxpool',
      name: 'pool',
      inputs: ['relu'],
      kernel: [2, 2],
      stride: [2, 2],
      pad: [0, 0, 0, 0],
    },
    { kind: 'flatten', name: 'flat', inputs: ['pool'] },
    { kind: 'dense', name: 'fc', inputs: ['flat'], units: 10, bias: true },
    { kind: 'softmax_ce', name: 'loss', inputs: ['fc'] },
  ];
  return {
    name: 'tiny',
    description: 'test',
    numClasses: 10,
    layers: layers.map((l) => ({ ...l, ...(over[l.name] ?? {}) }) as LayerSpec),
  };
}

test('shapes, params and FLOPs of a small conv net', () => {
  const a = analyzeModel(tiny());
  const by = Object.fromEntries(a.layers.map((l) => [l.spec.name, l]));
  assert.deepEqual(by.conv.outputShape, [4, 8, 8]);
  assert.deepEqual(by.pool.outputShape, [4, 4, 4]);
  assert.deepEqual(by.flat.outputShape, [64]);
  assert.deepEqual(by.fc.inputShapes, [[64]]);
  assert.equal(by.conv.params, 4 * 3 * 9 + 4);
  assert.equal(by.fc.params, 64 * 10 + 10);
  assert.equal(a.params, 112 + 650);
  // conv: 256 outputs x 27 MACs x 2 + bias; no gradient of the image
  assert.equal(by.conv.forwardFlops, 2 * 256 * 27 + 256);
  assert.equal(by.conv.backwardFlops, 2 * 256 * 27 + 256);
  assert.equal(by.fc.forwardFlops, 2 * 640 + 10);
  assert.equal(by.fc.backwardFlops, 2 * 640 + 10 + 2 * 640);
});

test('saved tensors are deduplicated across the layers that save them', () => {
  const a = analyzeModel(tiny());
  const by = Object.fromEntries(a.layers.map((l) => [l.spec.name, l]));
  assert.equal(by.conv.savedElements, 3 * 64); // its input X
  assert.equal(by.relu.savedElements, 256); // its output
  assert.equal(by.pool.savedElements, 256 + 64); // input and output
  const relu = a.saved.find((t) => t.producer === 'relu');
  assert.deepEqual(relu?.savedBy, ['relu', 'pool']);
  assert.equal(relu?.lastUseIndex, 3);
  assert.deepEqual(
    a.saved.map((t) => [t.producer, t.elements]),
    [
      ['data', 192],
      ['relu', 256],
      ['pool', 64],
      ['flat', 64],
      ['loss', 10],
    ],
  );
  assert.equal(a.savedBytes(2), (192 + 256 + 64 + 64 + 10) * 2 * 4);
  assert.equal(a.savedBytes(2, 2), (192 + 256 + 64 + 64 + 10) * 2 * 2);
});

test('inconsistent specs are rejected with the layer named', () => {
  const bad = (spec: ModelSpec, re: RegExp) =>
    assert.throws(
      () => analyzeModel(spec),
      (e: unknown) => e instanceof InvalidArgumentError && re.test(e.message),
    );
  bad(tiny({ relu: { inputs: ['nope'] } }), /'relu'.*'nope'/);
  bad(tiny({ conv: { groups: 2 } }), /'conv'.*groups 2/);
  bad(tiny({ conv: { kernel: [9, 9], pad: [0, 0, 0, 0] } }), /'conv'.*larger/);
  bad(tiny({ fc: { inputs: ['pool'] } }), /'fc'.*flatten/);
  bad(tiny({ fc: { units: 7 } }), /'loss'.*\[10\]/);
});
