/**
 * Static analysis of a ModelSpec: shape inference, validation, parameter and
 * FLOP counts, and the activations each layer saves for its backward pass.
 * Reads only the plain-data spec, never a tensor; the CLI (`cdma models`),
 * the executor and the performance model (src/sim) build on it.
 *
 * Shapes are per example (no batch): [C, H, W] for feature maps, [C] after
 * flatten, dense and global average pooling. Counting conventions (see
 * docs/MODELS.md):
 * - a multiply-add counts 2 FLOPs; an add, compare, multiply, divide, exp or
 *   power counts 1;
 * - backward = gradient of the inputs + gradient of the parameters. The
 *   gradient of the model's input image is never computed, so a layer fed
 *   only by the 'input' layer counts its parameter gradient only;
 * - concat, add, flatten move or pass data and count 0 backward FLOPs
 *   (add counts its forward additions).
 */
import { InvalidArgumentError } from '../errors.js';
import type { LayerSpec, ModelSpec, Pad4, Pair } from './spec.js';
import { SAVED_FOR_BACKWARD } from './spec.js';

export interface LayerAnalysis {
  /** Position in spec.layers. */
  readonly index: number;
  readonly spec: LayerSpec;
  /** Per example, no batch, one per entry of spec.inputs. */
  readonly inputShapes: readonly (readonly number[])[];
  /** Per example: [C,H,W] or [C]. */
  readonly outputShape: readonly number[];
  /** Per example. */
  readonly outputElements: number;
  /** Trainable parameters (batchnorm running statistics excluded). */
  readonly params: number;
  /** Per example; a multiply-add counts 2. */
  readonly forwardFlops: number;
  /** Per example: gradients of inputs and parameters. */
  readonly backwardFlops: number;
  /** Per example, what this layer saves per SAVED_FOR_BACKWARD (not deduplicated). */
  readonly savedElements: number;
}

/**
 * A distinct activation tensor kept for the backward pass (deduplicated: a
 * ReLU's output that is also the next conv's input X is one tensor).
 */
export interface SavedTensor {
  /**
   * Layer whose output it is ('mask' tensors: the dropout layer itself). A
   * flatten's output is a view of its input's bytes, so it is never a
   * producer: the layer it flattens is.
   */
  readonly producer: string;
  readonly producerIndex: number;
  /** 'mask' for a dropout keep mask, 'activation' for a layer's output. */
  readonly kind: 'activation' | 'mask';
  /** Per example. */
  readonly elements: number;
  /** Layers that save it, in model order. */
  readonly savedBy: readonly string[];
  /** Largest index of a layer whose backward uses it. */
  readonly lastUseIndex: number;
}

export interface ModelAnalysis {
  readonly spec: ModelSpec;
  readonly layers: readonly LayerAnalysis[];
  readonly params: number;
  /** Per example. */
  readonly forwardFlops: number;
  /** Per example. */
  readonly backwardFlops: number;
  readonly saved: readonly SavedTensor[];
  /** Bytes of all distinct saved activations for a batch. */
  savedBytes(batch: number, bytesPerElement?: number): number;
}

type Shape = readonly number[];

interface Costs {
  readonly outputShape: Shape;
  readonly params: number;
  readonly forwardFlops: number;
  /** Gradient of the parameters. */
  readonly paramGradFlops: number;
  /** Gradient of the inputs (skipped when every input is the model input). */
  readonly inputGradFlops: number;
}

const product = (s: Shape): number => s.reduce((a, b) => a * b, 1);

function fail(layer: string, what: string): never {
  throw new InvalidArgumentError(`model layer '${layer}': ${what}`);
}

function isPosInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
}
function isNonNegInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function checkPair(layer: string, field: string, p: Pair | undefined): void {
  if (!Array.isArray(p) || p.length !== 2 || !p.every(isPosInt)) {
    fail(layer, `${field} must be two positive integers, got ${JSON.stringify(p)}`);
  }
}
function checkPad(layer: string, p: Pad4 | undefined): void {
  if (!Array.isArray(p) || p.length !== 4 || !p.every(isNonNegInt)) {
    fail(layer, `pad must be four non-negative integers, got ${JSON.stringify(p)}`);
  }
}

function featureMap(layer: string, s: Shape): readonly [number, number, number] {
  if (s.length !== 3) {
    fail(layer, `needs a [C,H,W] feature map input, got [${s.join(',')}]`);
  }
  return [s[0], s[1], s[2]];
}

/** Output size of a sliding window; throws when it is not positive. */
function windowOut(
  layer: string,
  size: number,
  kernel: number,
  stride: number,
  padA: number,
  padB: number,
): number {
  const span = size + padA + padB - kernel;
  if (span < 0) {
    fail(layer, `kernel ${kernel} is larger than its padded input ${size + padA + padB}`);
  }
  return Math.floor(span / stride) + 1;
}

function conv(l: Extract<LayerSpec, { kind: 'conv2d' }>, x: Shape): Costs {
  const [c, h, w] = featureMap(l.name, x);
  if (!isPosInt(l.filters)) fail(l.name, `filters must be a positive integer, got ${l.filters}`);
  checkPair(l.name, 'kernel', l.kernel);
  checkPair(l.name, 'stride', l.stride);
  checkPad(l.name, l.pad);
  if (!isPosInt(l.groups)) fail(l.name, `groups must be a positive integer, got ${l.groups}`);
  if (c % l.groups !== 0 || l.filters % l.groups !== 0) {
    fail(
      l.name,
      `groups ${l.groups} must divide both input channels ${c} and filters ${l.filters}`,
    );
  }
  const [kh, kw] = l.kernel;
  const [sh, sw] = l.stride;
  const [pt, pb, pl, pr] = l.pad;
  const oh = windowOut(l.name, h, kh, sh, pt, pb);
  const ow = windowOut(l.name, w, kw, sw, pl, pr);
  const out = l.filters * oh * ow;
  const fanIn = (c / l.groups) * kh * kw;
  const macs = out * fanIn;
  const bias = l.bias ? out : 0;
  return {
    outputShape: [l.filters, oh, ow],
    params: l.filters * fanIn + (l.bias ? l.filters : 0),
    forwardFlops: 2 * macs + bias,
    paramGradFlops: 2 * macs + bias,
    inputGradFlops: 2 * macs,
  };
}

function pool(l: Extract<LayerSpec, { kind: 'maxpool' | 'avgpool' }>, x: Shape): Costs {
  const [c, h, w] = featureMap(l.name, x);
  checkPair(l.name, 'kernel', l.kernel);
  checkPair(l.name, 'stride', l.stride);
  checkPad(l.name, l.pad);
  const [kh, kw] = l.kernel;
  const [pt, pb, pl, pr] = l.pad;
  if (pt >= kh || pb >= kh || pl >= kw || pr >= kw) {
    fail(l.name, `pooling pad [${l.pad.join(',')}] must be smaller than the kernel`);
  }
  const oh = windowOut(l.name, h, kh, l.stride[0], pt, pb);
  const ow = windowOut(l.name, w, kw, l.stride[1], pl, pr);
  const out = c * oh * ow;
  // One compare (max) or add (avg) per window element; the backward pass
  // routes (max: compares input with output) or spreads each gradient.
  const work = out * kh * kw;
  return {
    outputShape: [c, oh, ow],
    params: 0,
    forwardFlops: work,
    paramGradFlops: 0,
    inputGradFlops: work,
  };
}

function dense(l: Extract<LayerSpec, { kind: 'dense' }>, x: Shape): Costs {
  if (x.length !== 1) {
    fail(l.name, `needs a [features] input, got [${x.join(',')}]; add a flatten layer before it`);
  }
  if (!isPosInt(l.units)) fail(l.name, `units must be a positive integer, got ${l.units}`);
  const macs = x[0] * l.units;
  const bias = l.bias ? l.units : 0;
  return {
    outputShape: [l.units],
    params: macs + bias,
    forwardFlops: 2 * macs + bias,
    paramGradFlops: 2 * macs + bias,
    inputGradFlops: 2 * macs,
  };
}

function lrn(l: Extract<LayerSpec, { kind: 'lrn' }>, x: Shape): Costs {
  featureMap(l.name, x);
  if (!isPosInt(l.size) || l.size % 2 === 0) {
    fail(l.name, `size must be a positive odd integer, got ${l.size}`);
  }
  for (const [k, v] of [
    ['alpha', l.alpha],
    ['beta', l.beta],
    ['k', l.k],
  ] as const) {
    if (!Number.isFinite(v) || v < 0) fail(l.name, `${k} must be a finite number >= 0, got ${v}`);
  }
  const n = product(x);
  // Window sum of squares (size multiply-adds), scale and offset (2), power and divide (2).
  const fwd = n * (2 * l.size + 4);
  return {
    outputShape: x,
    params: 0,
    forwardFlops: fwd,
    paramGradFlops: 0,
    // A second window sum over y*dy/scale plus the element-wise terms.
    inputGradFlops: n * (2 * l.size + 6),
  };
}

function batchnorm(l: Extract<LayerSpec, { kind: 'batchnorm' }>, x: Shape): Costs {
  if (x.length !== 1 && x.length !== 3) {
    fail(l.name, `needs a [C,H,W] or [C] input, got [${x.join(',')}]`);
  }
  if (!(Number.isFinite(l.epsilon) && l.epsilon > 0)) {
    fail(l.name, `epsilon must be a positive number, got ${l.epsilon}`);
  }
  if (!(Number.isFinite(l.momentum) && l.momentum >= 0 && l.momentum <= 1)) {
    fail(l.name, `momentum must be in [0, 1], got ${l.momentum}`);
  }
  const n = product(x);
  return {
    outputShape: x,
    params: 2 * x[0],
    // mean (1), variance (2), normalise (2), scale and shift (2)
    forwardFlops: 7 * n,
    // dgamma, dbeta (4); dx from the saved input and the batch statistics (8)
    paramGradFlops: 4 * n,
    inputGradFlops: 8 * n,
  };
}

function elementwise(x: Shape, fwdPerElement: number, bwdPerElement: number): Costs {
  const n = product(x);
  return {
    outputShape: x,
    params: 0,
    forwardFlops: fwdPerElement * n,
    paramGradFlops: 0,
    inputGradFlops: bwdPerElement * n,
  };
}

function concat(l: LayerSpec, xs: readonly Shape[]): Costs {
  const first = xs[0];
  for (const s of xs) {
    if (s.length !== first.length || s.slice(1).some((d, i) => d !== first[i + 1])) {
      fail(
        l.name,
        `inputs must agree in every dimension but channels, got ${xs.map((t) => `[${t.join(',')}]`).join(' ')}`,
      );
    }
  }
  const channels = xs.reduce((a, s) => a + s[0], 0);
  return {
    outputShape: [channels, ...first.slice(1)],
    params: 0,
    forwardFlops: 0,
    paramGradFlops: 0,
    inputGradFlops: 0,
  };
}

function add(l: LayerSpec, xs: readonly Shape[]): Costs {
  const first = xs[0];
  for (const s of xs) {
    if (s.length !== first.length || s.some((d, i) => d !== first[i])) {
      fail(
        l.name,
        `inputs must have identical shapes, got ${xs.map((t) => `[${t.join(',')}]`).join(' ')}`,
      );
    }
  }
  return {
    outputShape: first,
    params: 0,
    forwardFlops: (xs.length - 1) * product(first),
    paramGradFlops: 0,
    inputGradFlops: 0,
  };
}

function arity(l: LayerSpec): [min: number, max: number] {
  switch (l.kind) {
    case 'input':
      return [0, 0];
    case 'concat':
      return [1, Infinity];
    case 'add':
      return [2, Infinity];
    default:
      return [1, 1];
  }
}

function layerCosts(l: LayerSpec, xs: readonly Shape[], numClasses: number): Costs {
  switch (l.kind) {
    case 'input': {
      if (!Array.isArray(l.shape) || l.shape.length !== 3 || !l.shape.every(isPosInt)) {
        fail(
          l.name,
          `shape must be three positive integers [C,H,W], got ${JSON.stringify(l.shape)}`,
        );
      }
      return {
        outputShape: l.shape,
        params: 0,
        forwardFlops: 0,
        paramGradFlops: 0,
        inputGradFlops: 0,
      };
    }
    case 'conv2d':
      return conv(l, xs[0]);
    case 'maxpool':
    case 'avgpool':
      return pool(l, xs[0]);
    case 'globalavgpool': {
      const [c] = featureMap(l.name, xs[0]);
      const n = product(xs[0]);
      return { outputShape: [c], params: 0, forwardFlops: n, paramGradFlops: 0, inputGradFlops: n };
    }
    case 'relu':
      return elementwise(xs[0], 1, 1);
    case 'dropout':
      if (!(Number.isFinite(l.rate) && l.rate >= 0 && l.rate < 1)) {
        fail(l.name, `rate must be in [0, 1), got ${l.rate}`);
      }
      // Draw and compare for the mask, multiply by mask/(1-rate); backward multiplies.
      return elementwise(xs[0], 3, 1);
    case 'lrn':
      return lrn(l, xs[0]);
    case 'dense':
      return dense(l, xs[0]);
    case 'batchnorm':
      return batchnorm(l, xs[0]);
    case 'flatten':
      return { ...elementwise(xs[0], 0, 0), outputShape: [product(xs[0])] };
    case 'concat':
      return concat(l, xs);
    case 'add':
      return add(l, xs);
    case 'softmax_ce': {
      const x = xs[0];
      if (x.length !== 1 || x[0] !== numClasses) {
        fail(l.name, `needs a [${numClasses}] logits input (numClasses), got [${x.join(',')}]`);
      }
      // max, subtract, exp, sum, divide; log of the label's probability
      return { ...elementwise(x, 5, 1), forwardFlops: 5 * x[0] + 1 };
    }
    default: {
      const unknown: { kind?: unknown; name?: unknown } = l;
      throw new InvalidArgumentError(
        `model layer '${String(unknown.name)}': unknown kind '${String(unknown.kind)}'`,
      );
    }
  }
}

function savedElementsOf(l: LayerSpec, xs: readonly Shape[], out: Shape): number {
  let n = 0;
  for (const role of SAVED_FOR_BACKWARD[l.kind]) {
    if (role === 'output') n += product(out);
    else n += xs.reduce((a, s) => a + product(s), 0); // 'input' and 'mask' are input-sized
  }
  return n;
}

function checkModelShell(spec: ModelSpec): void {
  if (!spec || !Array.isArray(spec.layers) || spec.layers.length < 2) {
    throw new InvalidArgumentError(
      `model '${spec?.name}': needs at least an input and a softmax_ce layer`,
    );
  }
  if (!isPosInt(spec.numClasses)) {
    throw new InvalidArgumentError(
      `model '${spec.name}': numClasses must be a positive integer, got ${spec.numClasses}`,
    );
  }
  const first = spec.layers[0];
  const last = spec.layers[spec.layers.length - 1];
  if (first.kind !== 'input')
    fail(first.name, `the first layer must be 'input', got '${first.kind}'`);
  if (last.kind !== 'softmax_ce') {
    fail(last.name, `the last layer must be 'softmax_ce', got '${last.kind}'`);
  }
}

/**
 * Infers every layer's shapes and counts its parameters, FLOPs and saved
 * activations. Throws InvalidArgumentError naming the layer for an
 * inconsistent spec: duplicate or unknown names, inputs used before they are
 * defined, wrong input counts, channel or shape mismatches, groups that do
 * not divide the channels, non-positive output sizes, unused layer outputs.
 */
export function analyzeModel(spec: ModelSpec): ModelAnalysis {
  checkModelShell(spec);
  const index = new Map<string, number>();
  const layers: LayerAnalysis[] = [];
  const consumers = new Map<string, number>();
  spec.layers.forEach((l, i) => {
    if (typeof l.name !== 'string' || l.name === '') {
      throw new InvalidArgumentError(`model '${spec.name}': layer ${i} has no name`);
    }
    if (index.has(l.name)) fail(l.name, 'duplicate layer name');
    if (l.kind === 'input' && i !== 0) fail(l.name, "only the first layer may be 'input'");
    if (l.kind === 'softmax_ce' && i !== spec.layers.length - 1) {
      fail(l.name, "only the last layer may be 'softmax_ce'");
    }
    const inputs = Array.isArray(l.inputs) ? l.inputs : [];
    const [min, max] = arity(l);
    if (inputs.length < min || inputs.length > max) {
      const want = max === Infinity ? `at least ${min}` : min === max ? `${min}` : `${min}-${max}`;
      fail(l.name, `takes ${want} input(s), got ${inputs.length}`);
    }
    const xs = inputs.map((name) => {
      const j = index.get(name);
      if (j === undefined) fail(l.name, `input '${name}' is not a layer defined before it`);
      consumers.set(name, (consumers.get(name) ?? 0) + 1);
      return layers[j].outputShape;
    });
    const c = layerCosts(l, xs, spec.numClasses);
    if (!c.outputShape.every((d) => isPosInt(d))) {
      fail(l.name, `output shape [${c.outputShape.join(',')}] is not positive`);
    }
    const gradOfInputs = inputs.some((name) => spec.layers[index.get(name)!].kind !== 'input');
    index.set(l.name, i);
    layers.push({
      index: i,
      spec: l,
      inputShapes: xs,
      outputShape: c.outputShape,
      outputElements: product(c.outputShape),
      params: c.params,
      forwardFlops: c.forwardFlops,
      backwardFlops: c.paramGradFlops + (gradOfInputs ? c.inputGradFlops : 0),
      savedElements: savedElementsOf(l, xs, c.outputShape),
    });
  });
  for (const l of spec.layers.slice(0, -1)) {
    if (!consumers.has(l.name)) fail(l.name, 'its output is not used by any later layer');
  }
  const saved = distinctSaved(layers, index);
  const sum = (f: (a: LayerAnalysis) => number): number => layers.reduce((a, l) => a + f(l), 0);
  const savedPerExample = saved.reduce((a, t) => a + t.elements, 0);
  return {
    spec,
    layers,
    params: sum((l) => l.params),
    forwardFlops: sum((l) => l.forwardFlops),
    backwardFlops: sum((l) => l.backwardFlops),
    saved,
    savedBytes(batch: number, bytesPerElement = 4): number {
      if (!isPosInt(batch)) {
        throw new InvalidArgumentError(`batch must be a positive integer, got ${batch}`);
      }
      if (!isPosInt(bytesPerElement)) {
        throw new InvalidArgumentError(
          `bytesPerElement must be a positive integer, got ${bytesPerElement}`,
        );
      }
      return savedPerExample * batch * bytesPerElement;
    },
  };
}

/**
 * Distinct saved tensors. A flatten's output is a view of its input (the
 * same bytes), so a dense layer's saved input after a flatten is the same
 * tensor as the flattened layer's output, named after that layer.
 */
function distinctSaved(
  layers: readonly LayerAnalysis[],
  index: ReadonlyMap<string, number>,
): SavedTensor[] {
  interface Acc {
    producer: string;
    producerIndex: number;
    kind: 'activation' | 'mask';
    elements: number;
    savedBy: string[];
    lastUseIndex: number;
  }
  const viewOf = (i: number): number => {
    const l = layers[i].spec;
    return l.kind === 'flatten' ? viewOf(index.get(l.inputs[0])!) : i;
  };
  const byKey = new Map<string, Acc>();
  const note = (kind: Acc['kind'], producerIndex: number, elements: number, by: LayerAnalysis) => {
    const producer = layers[producerIndex].spec.name;
    const key = `${kind}:${producer}`;
    let t = byKey.get(key);
    if (!t) {
      t = { producer, producerIndex, kind, elements, savedBy: [], lastUseIndex: by.index };
      byKey.set(key, t);
    }
    if (!t.savedBy.includes(by.spec.name)) t.savedBy.push(by.spec.name);
    t.lastUseIndex = Math.max(t.lastUseIndex, by.index);
  };
  for (const a of layers) {
    for (const role of SAVED_FOR_BACKWARD[a.spec.kind]) {
      if (role === 'output') {
        note('activation', viewOf(a.index), a.outputElements, a);
      } else if (role === 'mask') {
        note(
          'mask',
          a.index,
          a.inputShapes.reduce((s, x) => s + product(x), 0),
          a,
        );
      } else {
        for (const name of a.spec.inputs) {
          const j = index.get(name)!;
          note('activation', viewOf(j), layers[j].outputElements, a);
        }
      }
    }
  }
  return [...byKey.values()].sort(
    (x, y) =>
      x.producerIndex - y.producerIndex ||
      (x.kind === 'mask' ? 1 : 0) - (y.kind === 'mask' ? 1 : 0),
  );
}

/**
 * The per-example output shape of one layer given its input shapes, with the
 * same validation as analyzeModel (for spec builders that need a shape, e.g.
 * to turn Caffe's ceil-mode pooling into explicit padding). numClasses only
 * matters for softmax_ce and defaults to its input size.
 */
export function layerOutputShape(
  layer: LayerSpec,
  inputShapes: readonly Shape[],
  numClasses?: number,
): readonly number[] {
  const [min, max] = arity(layer);
  if (inputShapes.length < min || inputShapes.length > max) {
    fail(layer.name, `takes ${min}-${max} input(s), got ${inputShapes.length}`);
  }
  return layerCosts(layer, inputShapes, numClasses ?? inputShapes[0]?.[0] ?? 0).outputShape;
}
