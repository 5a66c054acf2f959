import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModelBuilder } from '../../src/nn/zoo/builder.js';
import { analyzeModel } from '../../src/nn/shapes.js';
import { getModel } from '../../src/nn/zoo/index.js';
import { groupKey, parsePolicy, savedGroups, staticPlan } from '../../src/memory/policy.js';
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

test('saved buffers are grouped per distinct tensor, flatten folded into its input', () => {
  const spec = tiny();
  const groups = savedGroups(analyzeModel(spec));
  const keys = groups.map((g) => g.key);
  // The batch (a:data) belongs to the trainer: never a group.
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
});

test('group keys map what the executor packs to those groups', () => {
  const spec = tiny();
  const idx = (n: string) => spec.layers.findIndex((l) => l.name === n);
  assert.equal(groupKey(spec, idx('pool1'), 'input'), 'a:conv1/relu');
  assert.equal(groupKey(spec, idx('conv1/relu'), 'output'), 'a:conv1/relu');
  assert.equal(groupKey(spec, idx('fc1'), 'input'), 'a:conv2/relu');
  assert.equal(groupKey(spec, idx('drop'), 'mask'), 'm:drop');
  assert.throws(() => groupKey(spec, 99, 'input'), InvalidArgumentError);
});

test('static plans: none keeps all, all offloads all, conv offloads only conv inputs', () => {
  const groups = savedGroups(analyzeModel(tiny()));
  assert.equal(staticPlan('none', groups).size, 0);
  assert.equal(staticPlan('all', groups).size, groups.length);
  assert.deepEqual([...staticPlan('conv', groups)].sort(), ['a:pool1']);
  for (const name of ['vgg16-small', 'googlenet-small', 'resnet18-small']) {
    const g = savedGroups(analyzeModel(getModel(name)));
    const conv = staticPlan('conv', g);
    assert.ok(conv.size > 0 && conv.size < g.length, name);
    assert.equal(new Set(g.map((x) => x.key)).size, g.length, `${name}: keys are unique`);
  }
});

test('policy names parse', () => {
  assert.equal(parsePolicy('dyn'), 'dyn');
  assert.throws(() => parsePolicy('some'), /none, all, conv, dyn/);
});
