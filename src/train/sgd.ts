/**
 * SGD with momentum and weight decay (PyTorch's formulation):
 *   d = grad + weightDecay * w   (weights only: Param.decay)
 *   v = momentum * v + d         (v starts at d; no v when momentum is 0)
 *   w = w - lr * v               (w - lr * d without momentum)
 * Each parameter's update is one kernel (CdmaSgdUpdate, registered by
 * initBackend for wasm and cpu). step() consumes the gradients the executor
 * left: it disposes each and sets Param.grad to null. The momentum buffers
 * live in Param.slots, so the executor counts them in its device bytes;
 * dispose() frees them. The learning rate may change between steps
 * (setLearningRate, for a schedule); momentum and weight decay are fixed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';
import { SGD_UPDATE, type SgdUpdateAttrs } from '../nn/kernels/SgdUpdate.js';
import type { Param } from '../nn/param.js';
import type { Optimizer } from './optimizer.js';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  weightDecay?: number;
}

function checkLearningRate(lr: number): void {
  if (!(Number.isFinite(lr) && lr > 0)) {
    throw new InvalidArgumentError(`learning rate must be a positive number, got ${lr}`);
  }
}

export class Sgd implements Optimizer {
  readonly momentum: number;
  readonly weightDecay: number;
  private rate: number;
  private readonly owned = new Set<Param>();

  constructor(opts: SgdOptions) {
    const { lr, momentum = 0, weightDecay = 0 } = opts;
    checkLearningRate(lr);
    if (!(Number.isFinite(momentum) && momentum >= 0 && momentum < 1)) {
      throw new InvalidArgumentError(`momentum must be in [0, 1), got ${momentum}`);
    }
    if (!(Number.isFinite(weightDecay) && weightDecay >= 0)) {
      throw new InvalidArgumentError(`weight decay must be a number >= 0, got ${weightDecay}`);
    }
    this.rate = lr;
    this.momentum = momentum;
    this.weightDecay = weightDecay;
  }

  /** The learning rate the next step() uses. */
  get lr(): number {
    return this.rate;
  }

  /** Sets the learning rate for the following steps (a positive finite number); momentum buffers are kept. */
  setLearningRate(lr: number): void {
    checkLearningRate(lr);
    this.rate = lr;
  }

  /** Updates every parameter that has a gradient, and disposes that gradient. */
  step(params: readonly Param[]): void {
    for (const p of params) {
      const grad = p.grad;
      if (!grad) continue;
      p.grad = null;
      const v = this.momentum > 0 ? p.slots[0] : undefined;
      const attrs: SgdUpdateAttrs = {
        lr: this.rate,
        momentum: this.momentum,
        weightDecay: p.decay ? this.weightDecay : 0,
        first: !v,
      };
      const inputs: tf.NamedTensorMap = { w: p.value, g: grad };
      if (v) inputs.v = v;
      const outs = tf.engine().runKernel(SGD_UPDATE, inputs, attrs as never) as tf.Tensor[];
      p.value.assign(outs[0]);
      outs[0].dispose();
      if (this.momentum > 0) {
        v?.dispose();
        p.slots[0] = outs[1];
        this.owned.add(p);
      }
      grad.dispose();
    }
  }

  /** Frees the momentum buffers. */
  dispose(): void {
    for (const p of this.owned) {
      for (const s of p.slots) s.dispose();
      p.slots = [];
    }
    this.owned.clear();
  }
}
