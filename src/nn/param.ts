/** A trainable parameter as the executor and the optimiser share it. */
import type { Tensor, Variable } from '@tensorflow/tfjs-core';

export interface Param {
  /** "<layer>/weight", "<layer>/bias", "<layer>/gamma", "<layer>/beta". */
  readonly name: string;
  readonly value: Variable;
  /** Gradient left by the last trainStep; the optimiser disposes it and sets null. */
  grad: Tensor | null;
  /** Whether weight decay applies (weights yes; biases and batchnorm gamma/beta no). */
  readonly decay: boolean;
  /** Optimiser state for this parameter (SGD: momentum). Owned by the optimiser; counted in the executor's device bytes. */
  slots: Tensor[];
}

/** Non-trainable state that is part of the model (batchnorm running statistics). */
export interface Buffer {
  readonly name: string;
  readonly value: Variable;
}
