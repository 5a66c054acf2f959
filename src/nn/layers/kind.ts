/**
 * A layer kind as one descriptor: what the static analysis (src/nn/shapes.ts),
 * the layer graph, the executor and the performance model (src/sim) need to
 * know about it. Each kind's descriptor lives in its own file in this folder
 * and is registered once in ./registry.ts (or by registerLayerKind for a kind
 * defined outside src/nn).
 */
import type { LayerSpec } from '../spec.js';
import type { Layer, LayerSetup } from './layer.js';

/** Per-example shape, no batch: [C,H,W] or [C]. */
export type Shape = readonly number[];

/**
 * What a layer keeps for its backward pass (besides parameters): 'input' is
 * its input X (vDNN's offloaded tensor), 'output' its output Y, 'mask' a
 * tensor of the input's size (dropout's keep mask).
 */
export type SavedRole = 'input' | 'output' | 'mask';

/** A layer's output shape, parameter count and FLOPs per example. */
export interface LayerCosts {
  readonly outputShape: Shape;
  /** Trainable parameters (batchnorm running statistics excluded). */
  readonly params: number;
  /** A multiply-add counts 2. */
  readonly forwardFlops: number;
  /** Gradient of the parameters. */
  readonly paramGradFlops: number;
  /** Gradient of the inputs (not counted when every input is the model input). */
  readonly inputGradFlops: number;
}

/**
 * One layer kind. The registry dispatches by `kind`, so each method gets a
 * spec of this kind (the methods are declared as methods so a descriptor for
 * one spec type is assignable to the registry's LayerDescriptor<LayerSpec>).
 */
export interface LayerDescriptor<S extends LayerSpec = LayerSpec> {
  /** The spec's `kind` string. */
  readonly kind: S['kind'];
  /** Allowed number of inputs [min, max] (max may be Infinity). */
  readonly arity: readonly [min: number, max: number];
  /** What its backward pass reads, in this order (SAVED_FOR_BACKWARD). */
  readonly saves: readonly SavedRole[];
  /** Holds trainable parameters: the backward pass starts at it. */
  readonly hasParams: boolean;
  /** Its output is a view of its single input's bytes (flatten): never a buffer of its own. */
  readonly view: boolean;
  /**
   * Validates the spec against its input shapes (throwing
   * InvalidArgumentError naming the layer) and gives its output shape,
   * parameters and FLOPs. numClasses is the model's class count.
   */
  analyze(spec: S, inputs: readonly Shape[], numClasses: number): LayerCosts;
  /**
   * The performance model's density rule: the output's density relative to
   * the post-ReLU density (0 = dense) from its inputs' factors, in input
   * order. See denseOutput, sparseSource and inheritDensity below.
   */
  density(spec: S, inputs: readonly number[]): number;
  /** The executor's runtime layer (NHWC tensors on TensorFlow.js). */
  create(spec: S, setup: LayerSetup): Layer;
}

/** Density rule: the output is dense (conv, dense, batchnorm, add, the image). */
export const denseOutput = (): number => 0;
/** Density rule: the output is where sparsity comes from (ReLU): factor 1. */
export const sparseSource = (): number => 1;
/** True when there are inputs and every one is sparse. */
export const allSparse = (inputs: readonly number[]): boolean =>
  inputs.length > 0 && inputs.every((x) => x > 0);
/**
 * Density rule: keeps zeros where its inputs are zero, so when every input is
 * sparse the output inherits the largest factor (pooling, LRN, concat,
 * flatten; an approximation, pooling raises density a little); else dense.
 */
export const inheritDensity = (_spec: unknown, inputs: readonly number[]): number =>
  allSparse(inputs) ? Math.max(...inputs) : 0;
