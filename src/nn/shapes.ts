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
 * Each kind's shape rule and counts are its descriptor's `analyze`
 * (src/nn/layers/<kind>.ts), found through the layer registry.
 */
import { InvalidArgumentError } from '../errors.js';
import type { LayerDescriptor } from './layers/kind.js';
import { findLayerKind, layerKind } from './layers/registry.js';
import { fail, isPosInt, product } from './layers/rules.js';
import type { LayerSpec, ModelSpec } from './spec.js';
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

export interface ModelAnalysis {
  readonly spec: ModelSpec;
  readonly layers: readonly LayerAnalysis[];
  readonly params: number;
  /** Per example. */
  readonly forwardFlops: number;
  /** Per example. */
  readonly backwardFlops: number;
}

type Shape = readonly number[];

/** Allowed input counts; an unregistered kind is checked as taking one input, then refused. */
function arity(d: LayerDescriptor | undefined): readonly [min: number, max: number] {
  return d ? d.arity : [1, 1];
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
    const kind = findLayerKind(l.kind);
    const [min, max] = arity(kind);
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
    const c = (kind ?? layerKind(l.kind, l.name)).analyze(l, xs, spec.numClasses);
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
  const sum = (f: (a: LayerAnalysis) => number): number => layers.reduce((a, l) => a + f(l), 0);
  return {
    spec,
    layers,
    params: sum((l) => l.params),
    forwardFlops: sum((l) => l.forwardFlops),
    backwardFlops: sum((l) => l.backwardFlops),
  };
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
  const kind = findLayerKind(layer.kind);
  const [min, max] = arity(kind);
  if (inputShapes.length < min || inputShapes.length > max) {
    fail(layer.name, `takes ${min}-${max} input(s), got ${inputShapes.length}`);
  }
  return (kind ?? layerKind(layer.kind, layer.name)).analyze(
    layer,
    inputShapes,
    numClasses ?? inputShapes[0]?.[0] ?? 0,
  ).outputShape;
}
