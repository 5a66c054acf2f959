/**
 * Network descriptions as plain data. The model zoo builds ModelSpecs; the
 * executor instantiates them on TensorFlow.js; shape inference, parameter,
 * FLOP and saved-byte counts and the performance model read them without
 * touching tensors.
 *
 * Conventions: activation shapes exclude the batch and are [C, H, W] for
 * feature maps and [C] (C = features) after flatten/dense. Padding is
 * explicit [top, bottom, left, right]; Caffe-style ceil-mode pooling is
 * expressed by extra bottom/right padding.
 */

export type Pad4 = readonly [top: number, bottom: number, left: number, right: number];
export type Pair = readonly [number, number];

/** The fields every layer spec has; a new kind's spec extends it. */
export interface LayerSpecBase {
  /** Unique name within the model, e.g. "conv1", "inception3a/1x1". */
  readonly name: string;
  /** Names of the layers whose outputs feed this one (in order). */
  readonly inputs: readonly string[];
}

export interface InputSpec extends LayerSpecBase {
  readonly kind: 'input';
  readonly shape: readonly [c: number, h: number, w: number];
}
export interface Conv2dSpec extends LayerSpecBase {
  readonly kind: 'conv2d';
  readonly filters: number;
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly pad: Pad4;
  /** Grouped convolution (AlexNet's conv2/4/5 use 2). Default 1. */
  readonly groups: number;
  readonly bias: boolean;
}
export interface ReluSpec extends LayerSpecBase {
  readonly kind: 'relu';
}
export interface PoolSpec extends LayerSpecBase {
  readonly kind: 'maxpool' | 'avgpool';
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly pad: Pad4;
}
export interface GlobalAvgPoolSpec extends LayerSpecBase {
  readonly kind: 'globalavgpool';
}
export interface LrnSpec extends LayerSpecBase {
  readonly kind: 'lrn';
  /** Caffe/AlexNet across-channel LRN: size 5, alpha 1e-4, beta 0.75, k 1 (or 2). */
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;
}
export interface DenseSpec extends LayerSpecBase {
  readonly kind: 'dense';
  readonly units: number;
  readonly bias: boolean;
}
export interface DropoutSpec extends LayerSpecBase {
  readonly kind: 'dropout';
  readonly rate: number;
}
export interface ConcatSpec extends LayerSpecBase {
  readonly kind: 'concat';
} /* along channels */
export interface AddSpec extends LayerSpecBase {
  readonly kind: 'add';
}
export interface FlattenSpec extends LayerSpecBase {
  readonly kind: 'flatten';
}
export interface BatchNormSpec extends LayerSpecBase {
  readonly kind: 'batchnorm';
  readonly epsilon: number;
  readonly momentum: number;
}
/** Softmax + cross-entropy against integer labels; the model's single sink. */
export interface SoftmaxCrossEntropySpec extends LayerSpecBase {
  readonly kind: 'softmax_ce';
}

/**
 * Spec type by kind. A layer kind defined elsewhere adds its spec here by
 * declaration merging, next to its descriptor:
 * `declare module '<path>/nn/spec.js' { interface LayerSpecMap { mykind: MySpec } }`
 * (see docs/EXECUTOR.md, "Adding a layer kind").
 */
export interface LayerSpecMap {
  input: InputSpec;
  conv2d: Conv2dSpec;
  relu: ReluSpec;
  maxpool: PoolSpec;
  avgpool: PoolSpec;
  globalavgpool: GlobalAvgPoolSpec;
  lrn: LrnSpec;
  dense: DenseSpec;
  dropout: DropoutSpec;
  concat: ConcatSpec;
  add: AddSpec;
  flatten: FlattenSpec;
  batchnorm: BatchNormSpec;
  softmax_ce: SoftmaxCrossEntropySpec;
}

export type LayerSpec = LayerSpecMap[keyof LayerSpecMap];

export type LayerKind = LayerSpec['kind'];

export interface ModelSpec {
  /** Zoo name, e.g. "vgg16" or "vgg16-small". */
  readonly name: string;
  readonly description: string;
  readonly numClasses: number;
  /** Layers in a topological order: every input is defined before use. First is 'input', last is 'softmax_ce'. */
  readonly layers: readonly LayerSpec[];
}

/**
 * What each layer kind keeps for its backward pass (besides parameters), from
 * the layer registry (each kind's descriptor `saves`). The executor saves
 * exactly these through the saved-tensor store; the zoo uses this table for
 * "activation bytes saved for backward". 'input' is the layer's input X
 * (vDNN's offloaded tensor), 'output' its output Y, 'mask' a tensor of the
 * input's size (dropout's keep mask).
 */
export { SAVED_FOR_BACKWARD } from './layers/registry.js';
