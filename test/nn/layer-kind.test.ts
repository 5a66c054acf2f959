/**
 * The layer registry: the built-in descriptors carry the tables they
 * replaced, an unknown kind is refused by name, and a kind defined outside
 * src/nn (a per-channel 'scale' layer below: one descriptor plus one
 * registerLayerKind call) is analysed, built and trained by the executor
 * with gradients that match finite differences and autograd.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers registers tfjs's gradients: autograd is the reference for the hand-written backward passes.
import '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../../src/errors.js';
import { initBackend } from '../../src/nn/backend.js';
import { Executor } from '../../src/nn/executor.js';
import { buildGraph } from '../../src/plan/graph.js';
import { createLayer, layerKind, registerLayerKind } from '../../src/nn/layers/index.js';
import { denseOutput, type LayerDescriptor } from '../../src/nn/layers/kind.js';
import { tidyBackward, toNhwc, type BackwardArgs } from '../../src/nn/layers/layer.js';
import type { Param } from '../../src/nn/param.js';
import { analyzeModel, layerOutputShape } from '../../src/nn/shapes.js';
import {
  SAVED_FOR_BACKWARD,
  type LayerSpec,
  type LayerSpecBase,
  type ModelSpec,
} from '../../src/nn/spec.js';
import { Sgd } from '../../src/train/sgd.js';
import { buildLayer, finiteDiffError, rand, relErr } from './layer-helpers.js';

// ---- the new kind: what a file of its own would hold ----

/** y = x * gamma with a learnable per-channel gamma; saves its input X. */
interface ScaleSpec extends LayerSpecBase {
  readonly kind: 'scale';
}
declare module '../../src/nn/spec.js' {
  interface LayerSpecMap {
    scale: ScaleSpec;
  }
}

const scaleKind: LayerDescriptor<ScaleSpec> = {
  kind: 'scale',
  arity: [1, 1],
  saves: ['input'],
  hasParams: true,
  view: false,
  analyze(_l, xs) {
    const n = xs[0].reduce((a, b) => a * b, 1);
    // forward and dX: one multiply per element; dgamma: one multiply-add per element
    return {
      outputShape: xs[0],
      params: xs[0][0],
      forwardFlops: n,
      paramGradFlops: 2 * n,
      inputGradFlops: n,
    };
  },
  density: denseOutput,
  create(spec, setup) {
    const shape = setup.inputShapes[0];
    const c = shape[shape.length - 1];
    const axes = shape.length === 3 ? [0, 1, 2] : [0];
    const gamma = setup.makeParam(`${spec.name}/gamma`, [c], 'ones');
    return {
      spec,
      params: [gamma],
      buffers: [],
      outputShape: setup.outputShape,
      forward: (inputs) => ({ output: tf.mul(inputs[0], gamma.value) }),
      backward(a: BackwardArgs) {
        const x = a.saved.input as tf.Tensor;
        const dy = a.dy as tf.Tensor;
        return tidyBackward(() => ({
          inputGrads: [a.needInputGrad[0] ? tf.mul(dy, gamma.value) : null],
          paramGrads: [tf.sum(tf.mul(dy, x), axes)],
        }));
      },
    };
  },
};

registerLayerKind(scaleKind);

// ---- a tiny model using it ----

const model: ModelSpec = {
  name: 'scaled',
  description: 'conv, scale, relu, dense on 2x6x6 inputs',
  numClasses: 3,
  layers: [
    { kind: 'input', name: 'data', inputs: [], shape: [2, 6, 6] },
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
    { kind: 'scale', name: 'scale', inputs: ['conv'] },
    { kind: 'relu', name: 'relu', inputs: ['scale'] },
    { kind: 'flatten', name: 'flat', inputs: ['relu'] },
    { kind: 'dense', name: 'fc', inputs: ['flat'], units: 3, bias: true },
    { kind: 'softmax_ce', name: 'loss', inputs: ['fc'] },
  ],
};
const BATCH = 4;

function batch(): { images: tf.Tensor4D; labels: Int32Array } {
  return {
    images: rand([BATCH, 6, 6, 2], 21) as tf.Tensor4D,
    labels: Int32Array.from({ length: BATCH }, (_, i) => i % 3),
  };
}

/** The loss's gradients by autograd over the same layer forward passes, with the executor's parameters. */
function autogradGrads(exec: Executor, images: tf.Tensor, labels: Int32Array): tf.Tensor[] {
  const byName = new Map(exec.params.map((p) => [p.name, p]));
  const graph = buildGraph(model);
  const layers = model.layers.map((l, i) =>
    createLayer(l, {
      index: i,
      inputShapes: exec.analysis.layers[i].inputShapes.map(toNhwc),
      outputShape: toNhwc(exec.analysis.layers[i].outputShape),
      init: 'he',
      makeParam: (name) => byName.get(name) as Param,
      makeBuffer: () => assert.fail('no buffers here'),
    }),
  );
  const labelsT = tf.tensor1d(labels, 'int32');
  const ctx = { training: true, seed: 0, step: 0, labels: labelsT };
  const { grads } = tf.variableGrads(
    () => {
      const outs: tf.Tensor[] = [];
      let loss: tf.Tensor | undefined;
      layers.forEach((layer, i) => {
        const r = layer.forward(i === 0 ? [images] : graph.inputs[i].map((j) => outs[j]), ctx);
        outs.push(r.output);
        if (r.loss) loss = r.loss;
      });
      return loss as tf.Scalar;
    },
    exec.params.map((p) => p.value),
  );
  labelsT.dispose();
  return exec.params.map((p) => grads[p.value.name]);
}

describe('layer registry', () => {
  before(() => initBackend('wasm'));

  test('the built-in descriptors carry the saved roles, parameters and views they replaced', () => {
    const builtIn: Record<string, readonly string[]> = {
      input: [],
      conv2d: ['input'],
      relu: ['output'],
      maxpool: ['input', 'output'],
      avgpool: [],
      globalavgpool: [],
      lrn: ['input', 'output'],
      dense: ['input'],
      dropout: ['mask'],
      concat: [],
      add: [],
      flatten: [],
      batchnorm: ['input'],
      softmax_ce: ['output'],
      depthwise2d: ['input'],
      activation: ['output'],
      activation_x: ['input'],
      zeropad: [],
      crop: [],
      globalmaxpool: ['input'],
      reshape: [],
      rescale: [],
      multiply: ['input'],
    };
    for (const [kind, saves] of Object.entries(builtIn)) {
      const d = layerKind(kind);
      assert.equal(d.kind, kind);
      assert.deepEqual(d.saves, saves, kind);
      assert.deepEqual(SAVED_FOR_BACKWARD[kind as keyof typeof SAVED_FOR_BACKWARD], saves, kind);
      assert.equal(
        d.hasParams,
        ['conv2d', 'dense', 'batchnorm', 'depthwise2d'].includes(kind),
        kind,
      );
      assert.equal(d.view, kind === 'flatten' || kind === 'reshape', kind);
    }
    // Registration order is the order of the table it replaced, then added kinds.
    assert.deepEqual(Object.keys(SAVED_FOR_BACKWARD), [...Object.keys(builtIn), 'scale']);
  });

  test('the density rules: ReLU is the source, pooling inherits, dropout scales, the rest is dense', () => {
    const drop: LayerSpec = { kind: 'dropout', name: 'd', inputs: ['x'], rate: 0.25 };
    const relu: LayerSpec = { kind: 'relu', name: 'r', inputs: ['x'] };
    const cat: LayerSpec = { kind: 'concat', name: 'c', inputs: ['x', 'y'] };
    const add: LayerSpec = { kind: 'add', name: 'a', inputs: ['x', 'y'] };
    assert.equal(layerKind('relu').density(relu, [0]), 1);
    assert.equal(layerKind('dropout').density(drop, [0.5]), 0.375);
    assert.equal(layerKind('dropout').density(drop, [0]), 0);
    assert.equal(layerKind('concat').density(cat, [0.5, 1]), 1);
    assert.equal(layerKind('concat').density(cat, [1, 0]), 0);
    assert.equal(layerKind('add').density(add, [1, 1]), 0);
  });

  test('an unknown kind is refused with InvalidArgumentError naming the layer', () => {
    const bad = { kind: 'nope', name: 'odd', inputs: ['data'] } as unknown as LayerSpec;
    const spec: ModelSpec = { ...model, layers: [model.layers[0], bad, ...model.layers.slice(1)] };
    const msg = /model layer 'odd': unknown kind 'nope'/;
    assert.throws(
      () => analyzeModel(spec),
      (e) => e instanceof InvalidArgumentError && msg.test(e.message),
    );
    assert.throws(() => layerOutputShape(bad, [[2, 6, 6]]), msg);
    assert.throws(() => buildGraph(spec), msg);
    assert.throws(() => layerKind('nope'), InvalidArgumentError);
    assert.throws(() => registerLayerKind(scaleKind), /'scale' is already registered/);
  });

  test('a registered kind is analysed like a built-in one', () => {
    const a = analyzeModel(model).layers[2];
    assert.deepEqual(a.outputShape, [4, 6, 6]);
    assert.equal(a.params, 4);
    assert.equal(a.forwardFlops, 144);
    assert.equal(a.backwardFlops, 3 * 144);
    assert.equal(a.savedElements, 144);
    assert.equal(buildGraph(model).needsBackward[2], true);
  });

  test("the new layer's backward matches finite differences", () => {
    const { layer, params } = buildLayer({ kind: 'scale', name: 's', inputs: ['x'] }, [[3, 4, 4]]);
    const x = rand([2, 4, 4, 3], 5);
    assert.ok(finiteDiffError(layer, params, [x]) < 1e-2);
    x.dispose();
    for (const p of params) p.value.dispose();
  });

  test("the executor's gradients through the new layer match autograd, and training lowers the loss", async () => {
    const exec = Executor.create(model, { seed: 7 });
    const { images, labels } = batch();
    const first = await exec.trainStep(images, labels, 0);
    const ref = autogradGrads(exec, images, labels);
    assert.deepEqual(
      exec.params.map((p) => p.name),
      ['conv/weight', 'conv/bias', 'scale/gamma', 'fc/weight', 'fc/bias'],
    );
    exec.params.forEach((p, i) => {
      const e = relErr(p.grad as tf.Tensor, ref[i]);
      assert.ok(e < 1e-4, `${p.name}: relative error ${e}`);
    });
    tf.dispose(ref);
    const sgd = new Sgd({ lr: 0.1 });
    let last = first.loss;
    for (let s = 1; s <= 20; s++) {
      sgd.step(exec.params);
      last = (await exec.trainStep(images, labels, s)).loss;
    }
    assert.ok(last < first.loss / 2, `loss ${first.loss} -> ${last}`);
    sgd.dispose();
    images.dispose();
    exec.dispose();
  });
});
