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

interface Base {
  /** Unique name within the model, e.g. "conv1", "inception3a/1x1". */
  readonly name: string;
  /** Names of the layers whose outputs feed this one (in order). */
  readonly inputs: readonly string[];
}

export interface InputSpec extends Base {
  readonly kind: 'input';
  readonly shape: readonly [c: number, h: number, w: number];
}
export interface Conv2dSpec extends Base {
  readonly kind: 'conv2d';
  readonly filters: number;
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly pad: Pad4;
  /** Grouped convolution (AlexNet's conv2/4/5 use 2). Default 1. */
  readonly groups: number;
  readonly bias: boolean;
}
export interface ReluSpec extends Base {
  readonly kind: 'relu';
}
export interface PoolSpec extends Base {
  readonly kind: 'maxpool' | 'avgpool';
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly pad: Pad4;
}
export interface GlobalAvgPoolSpec extends Base {
  readonly kind: 'globalavgpool';
}
export interface LrnSpec extends Base {
  readonly kind: 'lrn';
  /** Caffe/AlexNet across-channel LRN: size 5, alpha 1e-4, beta 0.75, k 1 (or 2). */
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;
}
export interface DenseSpec extends Base {
  readonly kind: 'dense';
  readonly units: number;
  readonly bias: boolean;
}
export interface DropoutSpec extends Base {
  readonly kind: 'dropout';
  readonly rate: number;
}
export interface ConcatSpec extends Base {
  readonly kind: 'concat';
} /* along channels */
export interface AddSpec extends Base {
  readonly kind: 'add';
}
export interface FlattenSpec extends Base {
  readonly kind: 'flatten';
}
export interface BatchNormSpec extends Base {
  readonly kind: 'batchnorm';
  readonly epsilon: number;
  readonly momentum: number;
}
/** Softmax + cross-entropy against integer labels; the model's single sink. */
export interface SoftmaxCrossEntropySpec extends Base {
  readonly kind: 'softmax_ce';
}

export type LayerSpec =
  | InputSpec
  | Conv2dSpec
  | ReluSpec
  | PoolSpec
  | GlobalAvgPoolSpec
  | LrnSpec
  | DenseSpec
  | DropoutSpec
  | ConcatSpec
  | AddSpec
  | FlattenSpec
  | BatchNormSpec
  | SoftmaxCrossEntropySpec;

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
 * What each layer kind keeps for its backward pass (besides parameters).
 * The executor saves exactly these through the saved-tensor store; the zoo
 * uses this table for "activation bytes saved for backward". 'input' is the
 * layer's input X (vDNN's offloaded tensor), 'output' its output Y, 'mask' a
 * tensor of the input's size (dropout's keep mask).
 */
export const SAVED_FOR_BACKWARD: Readonly<
  Record<LayerKind, readonly ('input' | 'output' | 'mask')[]>
> = {
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
};
