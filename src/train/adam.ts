/**
 * Adam (Kingma and Ba), in Keras' form: with t the step count,
 *   d = grad + weightDecay * w      (L2 decay on weights only, as SGD)
 *   m = beta1 m + (1 - beta1) d
 *   v = beta2 v + (1 - beta2) d^2
 *   w = w - lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + epsilon)
 * Defaults beta1 0.9, beta2 0.999, epsilon 1e-7 (Keras'). m and v live in
 * Param.slots, so the executor counts them in its device bytes. Like Sgd,
 * step() consumes and disposes the gradients and takes only parameters that
 * have one (frozen layers have none).
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';
import type { Param } from '../nn/param.js';
import type { Optimizer } from './optimizer.js';

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
}

export class Adam implements Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private rate: number;
  private t = 0;
  private readonly owned = new Set<Param>();

  constructor(opts: AdamOptions) {
    const { lr, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, weightDecay = 0 } = opts;
    if (!(Number.isFinite(lr) && lr > 0)) {
      throw new InvalidArgumentError(`learning rate must be a positive number, got ${lr}`);
    }
    for (const [k, b] of [
      ['beta1', beta1],
      ['beta2', beta2],
    ] as const) {
      if (!(Number.isFinite(b) && b >= 0 && b < 1)) {
        throw new InvalidArgumentError(`${k} must be in [0, 1), got ${b}`);
      }
    }
    if (!(Number.isFinite(epsilon) && epsilon > 0)) {
      throw new InvalidArgumentError(`epsilon must be a positive number, got ${epsilon}`);
    }
    if (!(Number.isFinite(weightDecay) && weightDecay >= 0)) {
      throw new InvalidArgumentError(`weight decay must be a number >= 0, got ${weightDecay}`);
    }
    this.rate = lr;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.weightDecay = weightDecay;
  }

  get lr(): number {
    return this.rate;
  }

  setLearningRate(lr: number): void {
    if (!(Number.isFinite(lr) && lr > 0)) {
      throw new InvalidArgumentError(`learning rate must be a positive number, got ${lr}`);
    }
    this.rate = lr;
  }

  step(params: readonly Param[]): void {
    this.t++;
    const { beta1: b1, beta2: b2, epsilon } = this;
    const lrT = (this.rate * Math.sqrt(1 - b2 ** this.t)) / (1 - b1 ** this.t);
    for (const p of params) {
      const grad = p.grad;
      if (!grad) continue;
      p.grad = null;
      const [m0, v0] = p.slots;
      const [m, v, w] = tf.tidy(() => {
        const d =
          p.decay && this.weightDecay > 0 ? tf.add(grad, tf.mul(p.value, this.weightDecay)) : grad;
        const m1 = m0 ? tf.add(tf.mul(m0, b1), tf.mul(d, 1 - b1)) : tf.mul(d, 1 - b1);
        const v1 = v0
          ? tf.add(tf.mul(v0, b2), tf.mul(tf.square(d), 1 - b2))
          : tf.mul(tf.square(d), 1 - b2);
        const w1 = tf.sub(p.value, tf.mul(tf.div(m1, tf.add(tf.sqrt(v1), epsilon)), lrT));
        return [m1, v1, w1];
      });
      p.value.assign(w);
      w.dispose();
      m0?.dispose();
      v0?.dispose();
      p.slots = [m, v];
      this.owned.add(p);
      grad.dispose();
    }
  }

  dispose(): void {
    for (const p of this.owned) {
      for (const s of p.slots) s.dispose();
      p.slots = [];
    }
    this.owned.clear();
  }
}
