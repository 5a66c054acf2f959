import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ModelBuilder } from '../../src/nn/zoo/builder.js';
import { getModel } from '../../src/nn/zoo/index.js';
import {
  ModelPlan,
  parsePolicy,
  prefetchWindow,
  prefetchWindowLength,
  backwardOrder,
  Timeline,
} from '../../src/plan/index.js';
import { InvalidArgumentError } from '../../src/errors.js';

function tiny() {
  const b = new ModelBuilder([1, 8, 8]);
  const r1 = b.convRelu('conv1', 'data', 4, 3, { pad: 1 });
  const p1 = b.maxpool('pool1', r1, 2, 2);
  const r2 = b.convRelu('conv2', p1, 4, 3, { pad: 1 });
  const f = b.flatten('flat', r2);
  const d = b.dropout('drop', b.dense('fc1', f, 16), 0.5);
  return b.finish(b.dense('fc2', d, 3), { name: 'tiny', description: 'test', numClasses: 3 });
}

test('saved buffers are one per distinct tensor, flatten folded into its input', () => {
  const spec = tiny();
  const plan = ModelPlan.of(spec);
  const groups = plan.deviceBuffers;
  const keys = groups.map((g) => g.key);
  // The batch (a:data) belongs to the trainer: never a device buffer, but a saved buffer.
  assert.deepEqual(
    plan.buffers.map((b) => b.key),
    ['a:data', ...keys],
  );
  assert.equal(plan.buffer('a:data')!.modelInput, true);
  assert.equal(plan.buffer('a:loss')!.lossOutput, true);
  assert.deepEqual(keys, [
    'a:conv1/relu',
    'a:pool1',
    'a:conv2/relu',
    'a:drop', // fc2's input; fc1's output is not saved (dropout keeps only its mask)
    'm:drop',
    'a:loss',
  ]);
  const relu1 = groups.find((g) => g.key === 'a:conv1/relu')!;
  const names = (is: readonly number[]) => is.map((i) => spec.layers[i].name);
  // Saved by the ReLU (its output) and the pool (its input): one buffer.
  assert.deepEqual(names(relu1.savers), ['conv1/relu', 'pool1']);
  assert.equal(spec.layers[relu1.lastSave].name, 'pool1');
  const relu2 = groups.find((g) => g.key === 'a:conv2/relu')!;
  assert.deepEqual(names(relu2.savers), ['conv2/relu', 'fc1']); // fc1's input is the flattened relu2
  assert.equal(groups.find((g) => g.key === 'a:pool1')!.convInput, true);
  assert.equal(groups.find((g) => g.key === 'a:drop')!.convInput, false);
  // conv2's flattened output is one buffer under both names, read by fc1 only (the flatten is a view).
  assert.deepEqual(relu2.names, ['conv2/relu', 'flat']);
  assert.deepEqual(names(relu2.readers), ['fc1']);
  assert.equal(plan.savedBytes(2), 2 * 4 * plan.buffers.reduce((a, b) => a + b.elements, 0));
});

test('buffer keys map what the executor packs to those buffers', () => {
  const spec = tiny();
  const plan = ModelPlan.of(spec);
  const idx = (n: string) => spec.layers.findIndex((l) => l.name === n);
  assert.equal(plan.keyOf(idx('pool1'), 'input'), 'a:conv1/relu');
  assert.equal(plan.keyOf(idx('conv1/relu'), 'output'), 'a:conv1/relu');
  assert.equal(plan.keyOf(idx('fc1'), 'input'), 'a:conv2/relu');
  assert.equal(plan.keyOf(idx('drop'), 'mask'), 'm:drop');
  assert.throws(() => plan.keyOf(99, 'input'), InvalidArgumentError);
});

test('static policies: none keeps all, all offloads all, conv offloads only conv inputs', () => {
  const plan = ModelPlan.of(tiny());
  const groups = plan.deviceBuffers;
  assert.equal(plan.offloadSet('none').size, 0);
  assert.equal(plan.offloadSet('all').size, groups.length);
  assert.deepEqual([...plan.offloadSet('conv')].sort(), ['a:pool1']);
  for (const name of ['vgg16-small', 'googlenet-small', 'resnet18-small']) {
    const p = ModelPlan.of(getModel(name));
    const g = p.deviceBuffers;
    const conv = p.offloadSet('conv');
    assert.ok(conv.size > 0 && conv.size < g.length, name);
    assert.equal(new Set(g.map((x) => x.key)).size, g.length, `${name}: keys are unique`);
  }
});

test('policy names parse', () => {
  assert.equal(parsePolicy('dyn'), 'dyn');
  assert.throws(() => parsePolicy('some'), /none, all, conv, dyn/);
});

test('which layers run backward, whose bytes each output is and who reads them', () => {
  const spec = tiny();
  const g = ModelPlan.of(spec).graph;
  const idx = (n: string) => spec.layers.findIndex((l) => l.name === n);
  assert.equal(g.needsBackward[0], false);
  assert.ok(g.needsBackward.slice(1).every(Boolean));
  assert.equal(g.owner[idx('flat')], idx('conv2/relu'));
  assert.deepEqual(g.readers[idx('flat')], []);
  assert.equal(g.lastRead[idx('conv2/relu')], idx('fc1'));
  // conv1 reads the model input, whose gradient is never needed.
  assert.deepEqual(g.needInputGrad[idx('conv1')], [false]);
  assert.equal(g.feedsRelu[idx('conv1')], true);
  assert.equal(g.feedsRelu[idx('fc2')], false);
});

test('prefetch window: the layers at or above i, then the next `ahead` in backward order', () => {
  const order = backwardOrder([2, 9, 5, 9, 7]);
  assert.deepEqual(order, [9, 7, 5, 2]);
  assert.deepEqual(
    [...prefetchWindow(order, 8, 1)].sort((a, b) => a - b),
    [7, 9],
  );
  assert.deepEqual([...prefetchWindow(order, 8, 0)], [9]);
  assert.deepEqual(
    [...prefetchWindow(order, 6, 2)].sort((a, b) => a - b),
    [2, 5, 7, 9],
  );
  assert.equal(prefetchWindow([], 3, 4).size, 0);
});

test('prefetch window: the prefix the binary search finds is the definition, for any layers', () => {
  fc.assert(
    fc.property(
      fc.array(fc.nat(40), { maxLength: 30 }),
      fc.integer({ min: -2, max: 42 }),
      fc.nat(5),
      (layers, i, ahead) => {
        const order = backwardOrder(layers);
        // The definition: every layer >= i, then the next `ahead` in backward order.
        const want = new Set(order.filter((l) => l >= i));
        for (const l of order.filter((x) => x < i).slice(0, ahead)) want.add(l);
        const n = prefetchWindowLength(order, i, ahead);
        assert.deepEqual(new Set(order.slice(0, n)), want);
        assert.deepEqual(prefetchWindow(order, i, ahead), want);
      },
    ),
  );
});

test('timeline: closed intervals over forward then backward positions, first peak wins', () => {
  const t = new Timeline(3);
  assert.deepEqual([t.fwd(0), t.fwd(2), t.bwd(2), t.bwd(0), t.end], [0, 2, 3, 5, 5]);
  t.live(t.fwd(1), t.bwd(1), 10); // positions 1..4
  t.live(t.fwd(2), t.fwd(2), 5); // position 2
  t.live(t.bwd(0), t.bwd(0), 15); // position 5
  t.live(4, 3, 100); // empty interval: ignored
  assert.deepEqual(t.peak(), { bytes: 15, spike: 0, layer: 2, phase: 'forward' });
});

test('offloading lowers the estimated executor peak; the all-policy peak is never above none', () => {
  for (const name of ['alexnet-small', 'googlenet-small', 'resnet18-small']) {
    const p = ModelPlan.of(getModel(name));
    const none = p.peak(p.offloadSet('none'), 16);
    const all = p.peak(p.offloadSet('all'), 16);
    assert.ok(
      all.tensorBytes < none.tensorBytes,
      `${name}: all ${all.tensorBytes} vs none ${none.tensorBytes}`,
    );
    // With temporaries the peak can be a layer whose bytes no policy moves (resnet18-small's first).
    assert.ok(
      all.peakBytes <= none.peakBytes,
      `${name}: all ${all.peakBytes} vs none ${none.peakBytes}`,
    );
    // Base bytes add to the tensors and to the temporaries' peak; the margin scales the sum.
    const based = p.peak(new Set(), 16, 1000);
    assert.equal(based.tensorBytes, none.tensorBytes + 1000);
    assert.equal(based.peakBytes, none.peakBytes + 1000);
    assert.ok(based.heapBytes > none.heapBytes + 1000);
  }
});
