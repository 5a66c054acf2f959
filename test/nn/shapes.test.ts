import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeModel, layerOutputShape } from '../../src/nn/shapes.js';
import { ceilModeExtraPad, ModelBuilder } from '../../src/nn/zoo/builder.js';
import type { LayerSpec, ModelSpec } from '../../src/nn/spec.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { ModelPlan } from '../../src/plan/index.js';

/** The plan's distinct saved buffers, named as the layers that own and save them. */
function savedOf(spec: ModelSpec) {
  const plan = ModelPlan.of(spec);
  const name = (i: number) => spec.layers[i].name;
  return {
    plan,
    saved: plan.buffers.map((b) => ({
      producer: b.ownerName,
      kind: b.kind,
      elements: b.elements,
      savedBy: b.savedBy.map(name),
      lastUseIndex: b.savedBy[b.savedBy.length - 1],
    })),
  };
}

/** data 3x8x8 -> conv 4@3x3 pad1 -> relu -> maxpool 2 -> flatten -> dense 10 -> softmax_ce */
function tiny(over: Partial<Record<string, Partial<LayerSpec>>> = {}): ModelSpec {
  const b = new ModelBuilder([3, 8, 8]);
  const pool = b.maxpool('pool', b.relu('relu', b.conv('conv', 'data', 4, 3, { pad: 1 })), 2, 2);
  const { layers } = b.finish(b.dense('fc', b.flatten('flat', pool), 10), {
    name: 'tiny',
    description: 'test',
    numClasses: 10,
  });
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
  const { saved, plan } = savedOf(tiny());
  const by = Object.fromEntries(a.layers.map((l) => [l.spec.name, l]));
  assert.equal(by.conv.savedElements, 3 * 64); // its input X
  assert.equal(by.relu.savedElements, 256); // its output
  assert.equal(by.pool.savedElements, 256 + 64); // input and output
  const relu = saved.find((t) => t.producer === 'relu');
  assert.deepEqual(relu?.savedBy, ['relu', 'pool']);
  assert.equal(relu?.lastUseIndex, 3);
  assert.deepEqual(
    saved.map((t) => [t.producer, t.elements]),
    [
      ['data', 192],
      ['relu', 256],
      ['pool', 64],
      ['loss', 10],
    ],
  );
  // the flattened pool output fc saves is the pool's output itself
  assert.deepEqual(saved.find((t) => t.producer === 'pool')?.savedBy, ['pool', 'fc']);
  assert.equal(saved.find((t) => t.producer === 'pool')?.lastUseIndex, 5);
  assert.equal(plan.savedBytes(2), (192 + 256 + 64 + 10) * 2 * 4);
  assert.equal(plan.savedBytes(2, 2), (192 + 256 + 64 + 10) * 2 * 2);
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

/** data 8x6x6 -> a: conv 1x1 (4), b: conv 3x3 pad1 groups 2 (4) -> concat -> bn -> add(concat, bn) -> ... */
function branchy(): ModelSpec {
  const b = new ModelBuilder([8, 6, 6]);
  const a = b.conv('a', 'data', 4, 1, { bias: false });
  const cat = b.concat('cat', [a, b.conv('b', 'data', 4, 3, { pad: 1, groups: 2, bias: false })]);
  const sum = b.add('sum', [cat, b.batchnorm('bn', cat)]);
  // Caffe's ceil mode: 6x6 -> 3x3, one extra row and column of bottom/right padding.
  const avg = b.avgpool('avg', b.lrn('lrn', sum), 3, 2, { ceil: true });
  const drop = b.dropout('drop', b.globalAvgPool('gap', avg), 0.5);
  return b.finish(b.dense('fc', drop, 3, false), {
    name: 'branchy',
    description: 'test',
    numClasses: 3,
  });
}

test('concat, add, grouped conv, batchnorm, pooling and dropout shapes and counts', () => {
  const a = analyzeModel(branchy());
  const { saved } = savedOf(branchy());
  const by = Object.fromEntries(a.layers.map((l) => [l.spec.name, l]));
  assert.deepEqual(by.cat.outputShape, [8, 6, 6]);
  assert.deepEqual(by.cat.inputShapes, [
    [4, 6, 6],
    [4, 6, 6],
  ]);
  assert.deepEqual(by.sum.outputShape, [8, 6, 6]);
  assert.deepEqual(by.avg.outputShape, [8, 3, 3]); // (6 + 1 - 3) / 2 + 1
  assert.deepEqual(by.gap.outputShape, [8]);
  assert.deepEqual(by.drop.outputShape, [8]);
  assert.equal(by.b.params, 4 * (8 / 2) * 9); // groups split the input channels
  assert.equal(by.b.forwardFlops, 2 * 4 * 36 * 4 * 9);
  assert.equal(by.bn.params, 16); // gamma and beta; running statistics are not trainable
  assert.equal(a.params, 4 * 8 + 144 + 16 + 24);
  assert.equal(by.sum.forwardFlops, 288);
  assert.equal(by.sum.backwardFlops, 0);
  assert.equal(by.cat.forwardFlops, 0);
  assert.equal(by.avg.forwardFlops, 8 * 9 * 9);
  assert.equal(by.lrn.forwardFlops, 288 * (2 * 5 + 4));
  // the convolutions read the image: no gradient of it, only of their weights
  assert.equal(by.a.backwardFlops, by.a.forwardFlops);
  assert.equal(by.bn.savedElements, 288);
  assert.equal(by.lrn.savedElements, 2 * 288);
  assert.equal(by.avg.savedElements, 0);
  assert.equal(by.drop.savedElements, 8); // its mask
  const mask = saved.find((t) => t.kind === 'mask');
  assert.deepEqual(mask && [mask.producer, mask.elements, mask.savedBy], ['drop', 8, ['drop']]);
  const drop = saved.find((t) => t.kind === 'activation' && t.producer === 'drop');
  assert.deepEqual(drop?.savedBy, ['fc']);
  // the image is saved once although both convolutions keep it
  const data = saved.find((t) => t.producer === 'data');
  assert.deepEqual(data && [data.savedBy, data.lastUseIndex], [['a', 'b'], 2]);
  assert.equal(
    a.forwardFlops,
    a.layers.reduce((s, l) => s + l.forwardFlops, 0),
  );
  assert.equal(
    a.backwardFlops,
    a.layers.reduce((s, l) => s + l.backwardFlops, 0),
  );
});

test('every kind of inconsistency is named', () => {
  const base = branchy();
  const edit = (name: string, patch: Record<string, unknown>): ModelSpec => ({
    ...base,
    layers: base.layers.map((l) => (l.name === name ? ({ ...l, ...patch } as LayerSpec) : l)),
  });
  const bad = (spec: ModelSpec, re: RegExp) =>
    assert.throws(
      () => analyzeModel(spec),
      (e: unknown) => e instanceof InvalidArgumentError && re.test(e.message),
      re.source,
    );
  bad(
    edit('b', { kernel: [1, 1], pad: [0, 0, 0, 0], stride: [2, 2] }),
    /'cat'.*every dimension but channels/,
  );
  bad(edit('sum', { inputs: ['cat', 'a'] }), /'sum'.*identical shapes/);
  bad(edit('sum', { inputs: ['cat'] }), /'sum'.*at least 2 input/);
  bad(edit('bn', { inputs: ['cat', 'a'] }), /'bn'.*takes 1 input/);
  bad(edit('b', { groups: 3 }), /'b'.*groups 3 must divide/);
  bad(edit('b', { groups: 0 }), /'b'.*groups must be a positive integer/);
  bad(edit('b', { filters: 0 }), /'b'.*filters/);
  bad(edit('b', { kernel: [3] }), /'b'.*kernel must be two positive integers/);
  bad(edit('b', { pad: [1, 1, -1, 1] }), /'b'.*pad must be four non-negative integers/);
  bad(edit('avg', { pad: [3, 3, 0, 0] }), /'avg'.*smaller than the kernel/);
  bad(edit('avg', { kernel: [7, 7], pad: [0, 0, 0, 0] }), /'avg'.*larger than its padded input/);
  bad(edit('lrn', { size: 4 }), /'lrn'.*odd/);
  bad(edit('bn', { epsilon: 0 }), /'bn'.*epsilon/);
  bad(edit('drop', { rate: 1 }), /'drop'.*rate/);
  bad(edit('fc', { units: -1 }), /'fc'.*units/);
  bad(edit('gap', { inputs: ['drop'] }), /'gap'.*'drop' is not a layer defined before it/);
  bad(edit('gap', { inputs: ['gap'] }), /'gap'.*not a layer defined before it/);
  bad(edit('fc', { inputs: ['gap'] }), /'drop'.*not used/);
  bad(edit('a', { name: 'b' }), /'b'.*duplicate/);
  bad(edit('data', { shape: [8, 6] }), /'data'.*shape/);
  bad({ ...base, numClasses: 0 }, /numClasses/);
  bad({ ...base, layers: base.layers.slice(1) }, /first layer must be 'input'/);
  bad({ ...base, layers: base.layers.slice(0, -1) }, /last layer must be 'softmax_ce'/);
  bad(
    {
      ...base,
      layers: [
        ...base.layers.slice(0, 2),
        { ...base.layers[0], name: 'x' },
        ...base.layers.slice(2),
      ],
    },
    /'x'.*only the first layer/,
  );
  bad(edit('b', { kind: 'deconv' }), /'b'.*unknown kind 'deconv'/);
  const plan = ModelPlan.of(base);
  assert.throws(() => plan.savedBytes(0), InvalidArgumentError);
  assert.throws(() => plan.savedBytes(1.5), InvalidArgumentError);
  assert.throws(() => plan.savedBytes(1, 0), InvalidArgumentError);
});

test('layerOutputShape infers one layer with the same rules', () => {
  const pool: LayerSpec = {
    kind: 'maxpool',
    name: 'p',
    inputs: ['x'],
    kernel: [3, 3],
    stride: [2, 2],
    pad: [0, 1, 0, 1],
  };
  assert.deepEqual(layerOutputShape(pool, [[64, 112, 112]]), [64, 56, 56]);
  assert.throws(() => layerOutputShape(pool, [[64]]), /'p'.*\[C,H,W\]/);
  assert.throws(() => layerOutputShape(pool, []), /'p'.*input/);
});

test('Caffe ceil-mode pooling becomes extra bottom/right padding', () => {
  // GoogLeNet pool1: 112 -> 56 needs one extra row; AlexNet pool1: 55 -> 27 needs none.
  assert.equal(ceilModeExtraPad(112, 3, 2, 0), 1);
  assert.equal(ceilModeExtraPad(55, 3, 2, 0), 0);
  // a window that would start inside the padding is dropped, as in Caffe
  assert.equal(ceilModeExtraPad(5, 3, 2, 1), 0); // not 2: the 4th window would start in the pad
  assert.equal(ceilModeExtraPad(7, 2, 2, 0), 1);
});
