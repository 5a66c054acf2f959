/**
 * What a layer kind implements. Shapes inside the executor are NHWC
 * ([N, H, W, C]) for feature maps and [N, C] for features, mirroring the
 * spec's layout-free [C, H, W] and [C].
 *
 * Ownership: forward and backward never dispose what they are given and
 * return only tensors the caller owns (a result may share data with an
 * argument, like a reshape; the caller disposes each reference). Temporary
 * tensors stay inside tf.tidy.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Buffer, Param } from '../param.js';
import type { LayerSpec } from '../spec.js';

export interface ForwardContext {
  /** Training (dropout on, batchnorm batch statistics) or inference. */
  readonly training: boolean;
  readonly seed: number;
  readonly step: number;
  /** Class ids [N] (int32), for the loss layer. */
  readonly labels: Tensor;
}

export interface ForwardResult {
  readonly output: Tensor;
  /** Dropout's keep mask (role 'mask'); only in training. */
  readonly mask?: Tensor;
  /**
   * Small per-layer tensors the backward pass needs besides the saved
   * activations, e.g. batchnorm's per-channel batch mean and 1/std. Never
   * activation-sized: those go through the saved-tensor store.
   */
  readonly state?: readonly Tensor[];
  /** The loss layer's mean loss and number of correct predictions (scalars). */
  readonly loss?: Tensor;
  readonly correct?: Tensor;
}

/** The tensors a layer saved, by SAVED_FOR_BACKWARD role. */
export interface SavedTensors {
  /** The first input (role 'input'). */
  readonly input?: Tensor;
  /** Every input, in spec order (role 'input'; for kinds with several inputs). */
  readonly inputs?: readonly Tensor[];
  readonly output?: Tensor;
  readonly mask?: Tensor;
}

export interface BackwardArgs {
  /** Gradient of the loss w.r.t. the output; null for the loss layer itself. */
  readonly dy: Tensor | null;
  readonly saved: SavedTensors;
  readonly state: readonly Tensor[];
  /** Per input: whether its gradient is needed (false for the model input). */
  readonly needInputGrad: readonly boolean[];
  readonly labels: Tensor;
}

export interface BackwardResult {
  /** Per input; null where not needed. */
  readonly inputGrads: readonly (Tensor | null)[];
  /** Aligned with the layer's params. */
  readonly paramGrads: readonly Tensor[];
}

export interface Layer {
  readonly spec: LayerSpec;
  readonly params: readonly Param[];
  readonly buffers: readonly Buffer[];
  /** Batch-free NHWC/[C] output shape. */
  readonly outputShape: readonly number[];
  forward(inputs: readonly Tensor[], ctx: ForwardContext): ForwardResult;
  backward(args: BackwardArgs): BackwardResult;
}

/** What a layer factory gets besides its spec. */
export interface LayerSetup {
  readonly index: number;
  /** Batch-free NHWC/[C] shapes of the inputs, in spec order. */
  readonly inputShapes: readonly (readonly number[])[];
  readonly outputShape: readonly number[];
  /** He for weights followed by ReLU (directly or through batchnorm), Glorot otherwise. */
  readonly init: 'he' | 'glorot';
  /** Creates a parameter from the seeded initialiser. */
  makeParam(name: string, shape: number[], kind: ParamInit, fanIn?: number, fanOut?: number): Param;
  makeBuffer(name: string, shape: number[], fill: number): Buffer;
}

export type ParamInit = 'he' | 'glorot' | 'zeros' | 'ones';

/** spec [C,H,W] -> NHWC [H,W,C]; [C] stays [C]. */
export function toNhwc(shape: readonly number[]): number[] {
  return shape.length === 3 ? [shape[1], shape[2], shape[0]] : [...shape];
}

/** tf.tidy for a backward result (tfjs's container type has no nulls; tidy itself skips them). */
export function tidyBackward(fn: () => BackwardResult): BackwardResult {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as BackwardResult;
}
