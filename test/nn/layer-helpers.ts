/** Shared helpers for the layer, kernel and executor tests. */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers registers tfjs's gradients: autograd is the reference for the hand-written backward passes.
import '@tensorflow/tfjs-layers';
import { createLayer } from '../../src/nn/layers/index.js';
import { toNhwc, type Layer } from '../../src/nn/layers/layer.js';
import type { Buffer, Param } from '../../src/nn/param.js';
import { fillUniform, streamKey } from '../../src/nn/prng.js';
import { layerOutputShape } from '../../src/nn/shapes.js';
import type { LayerSpec } from '../../src/nn/spec.js';
import { SAVED_FOR_BACKWARD } from '../../src/nn/spec.js';

/** Deterministic uniform [-1, 1) tensor. */
export function rand(shape: number[], seed: number): tf.Tensor {
  const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
  fillUniform(v, streamKey(seed, 7), -1, 1);
  return tf.tensor(v, shape);
}

/** Largest |a-b| over max(1, largest |b|). */
export function relErr(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  if (x.length !== y.length) throw new Error(`size ${x.length} != ${y.length}`);
  let d = 0;
  let m = 1e-12;
  for (let i = 0; i < x.length; i++) {
    d = Math.max(d, Math.abs(x[i] - y[i]));
    m = Math.max(m, Math.abs(y[i]));
  }
  return d / Math.max(1, m);
}

/**
 * One layer built outside an executor: spec-style [C,H,W]/[C] input shapes,
 * parameters from the seeded initialiser, then overwritten with random
 * values (so zero biases and unit gammas do not hide mistakes).
 */
export function buildLayer(
  spec: LayerSpec,
  inputShapes: number[][],
  seed = 1,
): { layer: Layer; params: Param[]; buffers: Buffer[] } {
  const params: Param[] = [];
  const buffers: Buffer[] = [];
  const out = layerOutputShape(spec, inputShapes);
  const layer = createLayer(spec, {
    index: 1,
    inputShapes: inputShapes.map(toNhwc),
    outputShape: toNhwc(out),
    init: 'he',
    makeParam(name, shape) {
      const value = tf.variable(rand(shape, seed + params.length + 11));
      const p: Param = { name, value, grad: null, decay: true, slots: [] };
      params.push(p);
      return p;
    },
    makeBuffer(name, shape, fill) {
      const value = tf.variable(tf.fill(shape, fill), false);
      const b: Buffer = { name, value };
      buffers.push(b);
      return b;
    },
  });
  return { layer, params, buffers };
}

export interface GradCheck {
  /** Explicit backward: input gradients then parameter gradients. */
  explicit: tf.Tensor[];
  /** tfjs autograd of the same scalar. */
  autograd: tf.Tensor[];
}

/**
 * The layer's explicit backward against tf.variableGrads of
 * sum(forward(x) * R) (or of the loss for softmax_ce), inputs and
 * parameters as variables.
 */
export function gradCheck(
  layer: Layer,
  params: Param[],
  xs: tf.Tensor[],
  opts: { step?: number; labels?: tf.Tensor } = {},
): GradCheck {
  const labels = opts.labels ?? tf.tensor1d([0], 'int32');
  const ctx = { training: true, seed: 5, step: opts.step ?? 3, labels };
  const kind = layer.spec.kind;
  const r = layer.forward(xs, ctx);
  const weight = rand(r.output.shape, 99);
  const saved: { input?: tf.Tensor; output?: tf.Tensor; mask?: tf.Tensor; inputs?: tf.Tensor[] } =
    {};
  for (const role of SAVED_FOR_BACKWARD[kind]) {
    if (role === 'input') saved.inputs = xs;
    saved[role] = role === 'input' ? xs[0] : role === 'output' ? r.output : r.mask;
  }
  const b = layer.backward({
    dy: kind === 'softmax_ce' ? null : weight,
    saved,
    state: r.state ?? [],
    needInputGrad: xs.map(() => true),
    labels,
  });
  const xVars = xs.map((x) => tf.variable(x));
  const { grads } = tf.variableGrads(() => {
    const f = layer.forward(xVars, ctx);
    return (kind === 'softmax_ce' ? f.loss : tf.sum(tf.mul(f.output, weight))) as tf.Scalar;
  }, [...xVars, ...params.map((p) => p.value)]);
  const autograd = [...xVars, ...params.map((p) => p.value)].map((v) => grads[v.name]);
  const explicit = [...b.inputGrads.map((g) => g as tf.Tensor), ...b.paramGrads];
  return { explicit, autograd };
}

/**
 * Central finite differences of sum(forward(x) * R) (or the loss) at a few
 * coordinates of input 0 and of each parameter, against the explicit
 * backward. Returns the worst relative error.
 */
export function finiteDiffError(
  layer: Layer,
  params: Param[],
  xs: tf.Tensor[],
  opts: { eps?: number; points?: number; labels?: tf.Tensor } = {},
): number {
  const eps = opts.eps ?? 1e-2;
  const points = opts.points ?? 6;
  const labels = opts.labels ?? tf.tensor1d([0], 'int32');
  const ctx = { training: true, seed: 5, step: 3, labels };
  const kind = layer.spec.kind;
  const r0 = layer.forward(xs, ctx);
  const weight = rand(r0.output.shape, 98);
  const objective = (inputs: tf.Tensor[]): number => {
    const f = layer.forward(inputs, ctx);
    const v =
      kind === 'softmax_ce'
        ? f.loss!.dataSync()[0]
        : tf.sum(tf.mul(f.output, weight)).dataSync()[0];
    return v;
  };
  const saved: { input?: tf.Tensor; output?: tf.Tensor; mask?: tf.Tensor; inputs?: tf.Tensor[] } =
    {};
  for (const role of SAVED_FOR_BACKWARD[kind]) {
    if (role === 'input') saved.inputs = xs;
    saved[role] = role === 'input' ? xs[0] : role === 'output' ? r0.output : r0.mask;
  }
  const b = layer.backward({
    dy: kind === 'softmax_ce' ? null : weight,
    saved,
    state: r0.state ?? [],
    needInputGrad: xs.map(() => true),
    labels,
  });
  let worst = 0;
  const probe = (grad: tf.Tensor, get: () => Float32Array, set: (v: Float32Array) => void) => {
    const g = grad.dataSync();
    const base = get();
    for (let k = 0; k < points; k++) {
      const i = Math.floor(((k + 0.5) / points) * base.length);
      const plus = base.slice();
      plus[i] += eps;
      set(plus);
      const fp = objective(xs);
      const minus = base.slice();
      minus[i] -= eps;
      set(minus);
      const fm = objective(xs);
      set(base);
      const fd = (fp - fm) / (2 * eps);
      worst = Math.max(worst, Math.abs(fd - g[i]) / Math.max(1, Math.abs(fd)));
    }
  };
  const x0 = xs[0];
  probe(
    b.inputGrads[0] as tf.Tensor,
    () => x0.dataSync().slice() as Float32Array,
    (v) => {
      xs[0] = tf.tensor(v, x0.shape);
    },
  );
  xs[0] = x0;
  params.forEach((p, k) =>
    probe(
      b.paramGrads[k],
      () => p.value.dataSync().slice() as Float32Array,
      (v) => p.value.assign(tf.tensor(v, p.value.shape)),
    ),
  );
  return worst;
}
