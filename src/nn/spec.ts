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
  /**
   * Its parameters stay as they are (fine-tuning): the layer computes no
   * parameter gradients and a batchnorm runs in inference mode (running
   * statistics, not updated). Default false.
   */
  readonly frozen?: boolean;
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
  /** Dilation (atrous convolution): taps `dilation` apart. Default [1, 1]. */
  readonly dilation?: Pair;
}
/** Depthwise convolution: each input channel convolved with `multiplier` filters of its own. */
export interface DepthwiseConv2dSpec extends LayerSpecBase {
  readonly kind: 'depthwise2d';
  readonly multiplier: number;
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly pad: Pad4;
  readonly dilation?: Pair;
  readonly bias: boolean;
}
/**
 * Element-wise activations other than plain ReLU. `relu_ext` is Keras'
 * ReLU layer: max_value where x >= max, x where threshold <= x < max,
 * slope * (x - threshold) below. leaky_relu and elu take `alpha`.
 */
export type ActivationFn =
  'relu6' | 'relu_ext' | 'leaky_relu' | 'elu' | 'sigmoid' | 'tanh' | 'softmax' | 'swish';
interface ActivationFields extends LayerSpecBase {
  readonly fn: ActivationFn;
  /** leaky_relu's negative slope, elu's scale. */
  readonly alpha?: number;
  /** relu_ext: the cap (absent: none), the slope below the threshold, the threshold. */
  readonly max?: number;
  readonly slope?: number;
  readonly threshold?: number;
}
/** An activation whose gradient follows from its output; saves its output Y. */
export interface ActivationSpec extends ActivationFields {
  readonly kind: 'activation';
}
/** An activation whose gradient needs its input (swish, some relu_ext); saves its input X. */
export interface ActivationInSpec extends ActivationFields {
  readonly kind: 'activation_x';
}
/** Zero padding of a feature map, [top, bottom, left, right]. */
export interface ZeroPadSpec extends LayerSpecBase {
  readonly kind: 'zeropad';
  readonly pad: Pad4;
}
/** Cropping of a feature map, [top, bottom, left, right] rows/columns removed. */
export interface CropSpec extends LayerSpecBase {
  readonly kind: 'crop';
  readonly crop: Pad4;
}
export interface GlobalMaxPoolSpec extends LayerSpecBase {
  readonly kind: 'globalmaxpool';
}
/** Same elements, another shape ([C,H,W] or [C], in the spec's convention; NHWC order underneath). */
export interface ReshapeSpec extends LayerSpecBase {
  readonly kind: 'reshape';
  readonly shape: readonly number[];
}
/** y = x * scale + offset (Keras Rescaling). */
export interface RescaleSpec extends LayerSpecBase {
  readonly kind: 'rescale';
  readonly scale: number;
  readonly offset: number;
}
/** Element-wise product of same-shaped inputs. Saves every input. */
export interface MultiplySpec extends LayerSpecBase {
  readonly kind: 'multiply';
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
  /** Drop whole channels of a feature map (Keras SpatialDropout2D). Default false. */
  readonly spatial?: boolean;
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
  /** Learn a scale gamma (default true; false: gamma is 1). */
  readonly scale?: boolean;
  /** Learn a shift beta (default true; false: beta is 0). */
  readonly center?: boolean;
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
  depthwise2d: DepthwiseConv2dSpec;
  activation: ActivationSpec;
  activation_x: ActivationInSpec;
  zeropad: ZeroPadSpec;
  crop: CropSpec;
  globalmaxpool: GlobalMaxPoolSpec;
  reshape: ReshapeSpec;
  rescale: RescaleSpec;
  multiply: MultiplySpec;
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
