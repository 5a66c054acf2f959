/**
 * SGD with momentum and weight decay (PyTorch's formulation):
 *   g = grad + weightDecay * w   (weights only: Param.decay)
 *   v = momentum * v + g         (v starts at g; no v when momentum is 0)
 *   w = w - lr * v
 * step() consumes the gradients the executor left: it disposes each and sets
 * Param.grad to null. The momentum buffers live in Param.slots, so the
 * executor counts them in its device bytes; dispose() frees them.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors.js';
import type { Param } from '../nn/param.js';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  weightDecay?: number;
}

export class Sgd {
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  private readonly owned = new Set<Param>();

  constructor(opts: SgdOptions) {
    const { lr, momentum = 0, weightDecay = 0 } = opts;
    if (!(Number.isFinite(lr) && lr > 0)) {
      throw new InvalidArgumentError(`learning rate must be a positive number, got ${lr}`);
    }
    if (!(Number.isFinite(momentum) && momentum >= 0 && momentum < 1)) {
      throw new InvalidArgumentError(`momentum must be in [0, 1), got ${momentum}`);
    }
    if (!(Number.isFinite(weightDecay) && weightDecay >= 0)) {
      throw new InvalidArgumentError(`weight decay must be a number >= 0, got ${weightDecay}`);
    }
    this.lr = lr;
    this.momentum = momentum;
    this.weightDecay = weightDecay;
  }

  /** Updates every parameter that has a gradient, and disposes that gradient. */
  step(params: readonly Param[]): void {
    for (const p of params) {
      const grad = p.grad;
      if (!grad) continue;
      p.grad = null;
      const { value } = p;
      const decay = p.decay && this.weightDecay > 0 ? this.weightDecay : 0;
      tf.tidy(() => {
        let g: tf.Tensor = decay > 0 ? tf.add(grad, tf.mul(value, decay)) : grad;
        if (this.momentum > 0) {
          const v = p.slots[0];
          const next = v ? tf.add(tf.mul(v, this.momentum), g) : tf.clone(g);
          tf.keep(next);
          v?.dispose();
          p.slots[0] = next;
          this.owned.add(p);
          g = next;
        }
        value.assign(tf.sub(value, tf.mul(g, this.lr)));
      });
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
