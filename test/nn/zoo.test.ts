import { ModelPlan } from '../../src/plan/index.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getModel, listModels } from '../../src/nn/zoo/index.js';
import { analyzeModel, type ModelAnalysis } from '../../src/nn/shapes.js';
import { InvalidArgumentError } from '../../src/errors.js';
import type { LayerKind } from '../../src/nn/spec.js';

const FULL = ['alexnet', 'overfeat', 'nin', 'vgg16', 'squeezenet', 'googlenet', 'resnet18'];
/** The networks only the vDNN paper's evaluation runs (no -small variant). */
const VDNN_ONLY = ['alexnet-torch', 'googlenet-torch', 'vgg116', 'vgg216', 'vgg316', 'vgg416'];

const analyses = new Map<string, ModelAnalysis>();
function analysis(name: string): ModelAnalysis {
  let a = analyses.get(name);
  if (!a) {
    a = analyzeModel(getModel(name));
    analyses.set(name, a);
  }
  return a;
}
function outShape(model: string, layer: string): readonly number[] {
  const l = analysis(model).layers.find((x) => x.spec.name === layer);
  assert.ok(l, `${model} has a layer ${layer}`);
  return l.outputShape;
}

test('the zoo lists the seven networks, the vDNN-only ones and the -small variants', () => {
  const names = listModels().map((m) => m.name);
  assert.deepEqual(names, [...FULL, ...VDNN_ONLY, ...FULL.map((n) => `${n}-small`)]);
  for (const m of listModels()) {
    assert.equal(m.inputShape.length, 3);
    assert.equal(m.numClasses, m.name.endsWith('-small') ? 10 : 1000);
    assert.ok(m.description.length > 10);
  }
});

test('parameter counts match the published models', () => {
  // Unambiguous architectures: exact.
  assert.equal(analysis('alexnet').params, 60_965_224);
  assert.equal(analysis('vgg16').params, 138_357_544);
  assert.equal(analysis('resnet18').params, 11_689_512);
  assert.equal(analysis('squeezenet').params, 1_248_424);
  assert.equal(analysis('googlenet').params, 6_998_552);
  // Published as approximations: OverFeat fast "145M", Caffe NiN ImageNet ~7.6M.
  assert.equal(analysis('overfeat').params, 145_920_872);
  assert.equal(analysis('nin').params, 7_595_176);
  // Torch's single-column AlexNet (One Weird Trick): 3x64x11x11 + 64x192x5x5 + ... by hand.
  const convs = [3 * 64 * 121, 64 * 192 * 25, 192 * 384 * 9, 384 * 256 * 9, 256 * 256 * 9];
  const fcs = [256 * 36 * 4096, 4096 * 4096, 4096 * 1000];
  const biases = 64 + 192 + 384 + 256 + 256 + 4096 + 4096 + 1000;
  const owt = [...convs, ...fcs].reduce((x, y) => x + y, 0) + biases;
  assert.equal(owt, 61_100_840);
  assert.equal(analysis('alexnet-torch').params, owt);
  // Torch's GoogLeNet has the Caffe model's weights (LRN has none).
  assert.equal(analysis('googlenet-torch').params, analysis('googlenet').params);
  // Each 100 extra VGG layers: 20 per block at that block's width (3x3 weights + biases).
  const per100 = [64, 128, 256, 512, 512].reduce((a, w) => a + 20 * (w * w * 9 + w), 0);
  for (const [m, n] of [
    ['vgg116', 1],
    ['vgg216', 2],
    ['vgg316', 3],
    ['vgg416', 4],
  ] as const) {
    assert.equal(analysis(m).params, 138_357_544 + n * per100, m);
  }
});

test("vDNN's networks: Torch AlexNet and GoogLeNet shapes, very deep VGGs' layer counts", () => {
  assert.deepEqual(outShape('alexnet-torch', 'conv1'), [64, 55, 55]);
  assert.deepEqual(outShape('alexnet-torch', 'pool1'), [64, 27, 27]);
  assert.deepEqual(outShape('alexnet-torch', 'conv2'), [192, 27, 27]);
  assert.deepEqual(outShape('alexnet-torch', 'pool5'), [256, 6, 6]);
  assert.ok(!analysis('alexnet-torch').layers.some((l) => l.spec.kind === 'lrn'));
  assert.deepEqual(outShape('googlenet-torch', 'pool1/3x3_s2'), [64, 56, 56]);
  assert.deepEqual(outShape('googlenet-torch', 'pool2/3x3_s2'), [192, 28, 28]);
  assert.deepEqual(outShape('googlenet-torch', 'inception_4e/output'), [832, 14, 14]);
  assert.deepEqual(outShape('googlenet-torch', 'inception_5b/output'), [1024, 7, 7]);
  assert.ok(!analysis('googlenet-torch').layers.some((l) => l.spec.kind === 'lrn'));
  const convs = (m: string) => analysis(m).layers.filter((l) => l.spec.kind === 'conv2d').length;
  assert.equal(convs('vgg16'), 13);
  for (const n of [116, 216, 316, 416]) assert.equal(convs(`vgg${n}`), n - 3, `vgg${n}`);
  assert.deepEqual(outShape('vgg416', 'conv1_82'), [64, 224, 224]);
  assert.deepEqual(outShape('vgg416', 'pool5'), [512, 7, 7]);
});

test('output shapes of well-known layers', () => {
  assert.deepEqual(outShape('alexnet', 'conv1'), [96, 55, 55]);
  assert.deepEqual(outShape('alexnet', 'pool1'), [96, 27, 27]);
  assert.deepEqual(outShape('alexnet', 'conv2'), [256, 27, 27]);
  assert.deepEqual(outShape('alexnet', 'pool5'), [256, 6, 6]);
  assert.deepEqual(outShape('overfeat', 'conv1'), [96, 56, 56]);
  assert.deepEqual(outShape('overfeat', 'conv2'), [256, 24, 24]);
  assert.deepEqual(outShape('overfeat', 'pool5'), [1024, 6, 6]);
  assert.deepEqual(outShape('nin', 'conv1'), [96, 54, 54]);
  assert.deepEqual(outShape('nin', 'cccp8'), [1000, 6, 6]);
  assert.deepEqual(outShape('vgg16', 'conv1_1'), [64, 224, 224]);
  assert.deepEqual(outShape('vgg16', 'pool5'), [512, 7, 7]);
  assert.deepEqual(outShape('squeezenet', 'conv1'), [96, 111, 111]);
  assert.deepEqual(outShape('squeezenet', 'pool1'), [96, 55, 55]);
  assert.deepEqual(outShape('squeezenet', 'fire9/concat'), [512, 13, 13]);
  assert.deepEqual(outShape('squeezenet', 'conv10'), [1000, 13, 13]);
  assert.deepEqual(outShape('googlenet', 'pool1/3x3_s2'), [64, 56, 56]);
  assert.deepEqual(outShape('googlenet', 'inception_3a/output'), [256, 28, 28]);
  assert.deepEqual(outShape('googlenet', 'inception_4e/output'), [832, 14, 14]);
  assert.deepEqual(outShape('googlenet', 'inception_5b/output'), [1024, 7, 7]);
  assert.deepEqual(outShape('resnet18', 'pool1'), [64, 56, 56]);
  assert.deepEqual(outShape('resnet18', 'layer4.1/relu2'), [512, 7, 7]);
  for (const m of [...FULL, ...VDNN_ONLY]) {
    const last = analysis(m).layers.at(-1)!;
    assert.deepEqual(last.inputShapes, [[1000]], `${m} ends in 1000 logits`);
  }
});

test('forward FLOPs agree with the published multiply-add counts', () => {
  // GMACs per image as commonly reported; a multiply-add counts 2 FLOPs here.
  const published: Record<string, number> = {
    alexnet: 0.72,
    vgg16: 15.5,
    googlenet: 1.58,
    resnet18: 1.82,
    squeezenet: 0.84,
  };
  for (const [m, gmacs] of Object.entries(published)) {
    const ratio = analysis(m).forwardFlops / (2 * gmacs * 1e9);
    assert.ok(ratio > 0.95 && ratio < 1.05, `${m}: ${analysis(m).forwardFlops} vs ${gmacs} GMAC`);
    const b = analysis(m).backwardFlops / analysis(m).forwardFlops;
    assert.ok(b > 1.7 && b < 2.05, `${m}: backward/forward ${b}`);
  }
});

test('VGG-16 saved activations at batch 256 are in the tens of GB the vDNN paper reports', () => {
  const plan = ModelPlan.of(getModel('vgg16'));
  const bytes = plan.savedBytes(256);
  // vDNN: 28 GB in total (weights, gradients, workspace, feature maps) at batch 256.
  assert.ok(bytes > 10e9 && bytes < 28e9, `${bytes}`);
  // The largest saved tensor is conv1_1's ReLU output, kept for conv1_2 and itself.
  const big = plan.buffers.reduce((x, y) => (y.elements > x.elements ? y : x));
  assert.equal(big.ownerName, 'conv1_1/relu');
  assert.deepEqual(
    big.savedBy.map((i) => plan.spec.layers[i].name),
    ['conv1_1/relu', 'conv1_2'],
  );
  assert.equal(big.elements, 64 * 224 * 224);
});

test('dropout masks are saved as tensors of their own', () => {
  const masks = ModelPlan.of(getModel('alexnet')).buffers.filter((t) => t.kind === 'mask');
  assert.deepEqual(
    masks.map((t) => [t.ownerName, t.elements]),
    [
      ['drop6', 4096],
      ['drop7', 4096],
    ],
  );
});

const kindCounts = (a: ModelAnalysis) => {
  const c = new Map<LayerKind, number>();
  for (const l of a.layers) c.set(l.spec.kind, (c.get(l.spec.kind) ?? 0) + 1);
  return c;
};

test('-small variants keep the topology at 28x28x1 and 32x32x3 within a CPU budget', () => {
  for (const m of FULL) {
    const full = kindCounts(analysis(m));
    for (const inputShape of [
      [1, 28, 28],
      [3, 32, 32],
    ] as const) {
      const a = analyzeModel(getModel(`${m}-small`, { inputShape, numClasses: 10 }));
      const small = kindCounts(a);
      for (const kind of [
        'conv2d',
        'dense',
        'lrn',
        'concat',
        'add',
        'batchnorm',
        'dropout',
      ] as const) {
        assert.equal(small.get(kind), full.get(kind), `${m}-small has as many ${kind} layers`);
      }
      const grouped = (x: ModelAnalysis) =>
        x.layers.filter((l) => l.spec.kind === 'conv2d' && l.spec.groups > 1).length;
      assert.equal(grouped(a), grouped(analysis(m)), `${m}-small grouped convolutions`);
      assert.deepEqual(a.layers.at(-1)!.inputShapes, [[10]]);
      // One training step at batch 64 stays within ~8 GFLOP (well under a second at ~20 GFLOP/s).
      const step = 64 * (a.forwardFlops + a.backwardFlops);
      assert.ok(step < 8e9, `${m}-small ${inputShape.join('x')}: ${step / 1e9} GFLOP per step`);
      assert.ok(a.params < 1.5e6, `${m}-small params ${a.params}`);
    }
  }
});

test('NiN keeps its ReLU before global pooling at full size only', () => {
  const pool4 = (m: string) => analysis(m).layers.find((l) => l.spec.name === 'pool4')!.spec.inputs;
  assert.deepEqual(pool4('nin'), ['cccp8/relu']);
  assert.deepEqual(pool4('nin-small'), ['cccp8']);
});

test('options: numClasses and input shape overrides', () => {
  const a = analyzeModel(getModel('alexnet', { numClasses: 10 }));
  assert.equal(a.params, 60_965_224 - 4096 * 990 - 990);
  const s = getModel('vgg16-small', { inputShape: [3, 32, 32], numClasses: 100 });
  assert.equal(s.numClasses, 100);
  assert.deepEqual(s.layers[0].kind === 'input' && s.layers[0].shape, [3, 32, 32]);
  assert.equal(s.name, 'vgg16-small');
  // a larger input still fits
  assert.deepEqual(
    analyzeModel(getModel('resnet18', { inputShape: [3, 256, 256] })).layers.at(-3)!.inputShapes,
    [[512, 8, 8]],
  );
});

test('bad names and options are rejected with a helpful message', () => {
  const rejects = (f: () => unknown, re: RegExp) =>
    assert.throws(f, (e: unknown) => e instanceof InvalidArgumentError && re.test(e.message));
  rejects(() => getModel('lenet'), /unknown model 'lenet'.*alexnet, overfeat.*resnet18-small/);
  rejects(
    () => getModel('alexnet', { inputShape: [3, 32, 32] }),
    /'alexnet' cannot take input \[3,32,32\].*layer '/,
  );
  rejects(() => getModel('vgg16-small', { inputShape: [1, 0, 28] }), /three positive integers/);
  rejects(
    () => getModel('vgg16-small', { inputShape: [1, 28] as never }),
    /three positive integers/,
  );
  rejects(() => getModel('nin-small', { numClasses: 1 }), /classes/);
  rejects(() => getModel('nin-small', { numClasses: 2.5 }), /classes/);
});
