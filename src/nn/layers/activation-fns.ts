/**
 * The element-wise functions of the `activation` and `activation_x` layer
 * kinds: forward, and the gradient from the output Y (when the function
 * allows it) or from the input X. Shared by both kinds so their numbers are
 * the same.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ActivationFn, ActivationSpec, ActivationInSpec } from '../spec.js';
import { fail } from './rules.js';

type Spec = ActivationSpec | ActivationInSpec;

export const ACTIVATION_FNS: readonly ActivationFn[] = [
  'relu6',
  'relu_ext',
  'leaky_relu',
  'elu',
  'sigmoid',
  'tanh',
  'softmax',
  'swish',
];

const num = (v: number | undefined, d: number): number => (v === undefined ? d : v);

/** relu_ext's parameters with their defaults (no cap, slope 0, threshold 0). */
function reluExt(s: Spec): { max: number; slope: number; threshold: number } {
  return {
    max: num(s.max, Infinity),
    slope: num(s.slope, 0),
    threshold: num(s.threshold, 0),
  };
}

/**
 * Whether the gradient follows from the output alone: true for the
 * monotone functions whose branches Y tells apart.
 */
export function gradFromOutput(s: Spec): boolean {
  switch (s.fn) {
    case 'swish':
      return false;
    case 'leaky_relu':
      return num(s.alpha, 0.3) > 0;
    case 'elu':
      return num(s.alpha, 1) > 0;
    case 'relu_ext': {
      const { slope, threshold } = reluExt(s);
      // slope 0 and threshold >= 0: Y > 0 exactly on the identity branch;
      // threshold 0 and slope > 0: Y < 0 exactly on the sloped branch.
      return (slope === 0 && threshold >= 0) || (threshold === 0 && slope > 0);
    }
    default:
      return true;
  }
}

/** Checks the function's name and parameters, naming the layer. */
export function checkActivation(s: Spec): void {
  if (!ACTIVATION_FNS.includes(s.fn)) {
    fail(s.name, `activation must be one of ${ACTIVATION_FNS.join(', ')}, got ${String(s.fn)}`);
  }
  for (const k of ['alpha', 'slope', 'threshold'] as const) {
    const v = s[k];
    if (v !== undefined && !Number.isFinite(v))
      fail(s.name, `${k} must be a finite number, got ${v}`);
  }
  if (s.max !== undefined && !(Number.isFinite(s.max) && s.max > 0)) {
    fail(s.name, `max must be a positive number, got ${s.max}`);
  }
  if (s.fn === 'relu_ext') {
    const { max, threshold } = reluExt(s);
    if (threshold >= max) fail(s.name, `threshold ${threshold} must be below max ${max}`);
  }
}

/** The relu-like functions whose output has exact zeros (a sparsity source). */
export function makesZeros(s: Spec): boolean {
  if (s.fn === 'relu6') return true;
  return s.fn === 'relu_ext' && reluExt(s).slope === 0;
}

export function activationForward(s: Spec, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    switch (s.fn) {
      case 'relu6':
        return tf.relu6(x);
      case 'relu_ext': {
        const { max, slope, threshold } = reluExt(s);
        const below = tf.less(x, threshold);
        const low = slope === 0 ? tf.zerosLike(x) : tf.mul(tf.sub(x, threshold), slope);
        const mid = Number.isFinite(max) ? tf.minimum(x, max) : x;
        return tf.where(below, low, mid);
      }
      case 'leaky_relu':
        return tf.leakyRelu(x, num(s.alpha, 0.3));
      case 'elu': {
        const alpha = num(s.alpha, 1);
        return alpha === 1 ? tf.elu(x) : tf.where(tf.greater(x, 0), x, tf.mul(tf.expm1(x), alpha));
      }
      case 'sigmoid':
        return tf.sigmoid(x);
      case 'tanh':
        return tf.tanh(x);
      case 'softmax':
        return tf.softmax(x);
      case 'swish':
        return tf.mul(x, tf.sigmoid(x));
    }
  });
}

/** dX from the output Y (only where gradFromOutput holds). */
export function gradOfOutput(s: Spec, y: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    switch (s.fn) {
      case 'relu6':
        return tf.mul(dy, tf.cast(tf.logicalAnd(tf.greater(y, 0), tf.less(y, 6)), 'float32'));
      case 'relu_ext': {
        const { max, slope } = reluExt(s);
        if (slope === 0) {
          const on = tf.logicalAnd(tf.greater(y, 0), tf.less(y, max));
          return tf.mul(dy, tf.cast(on, 'float32'));
        }
        const d = tf.where(
          tf.less(y, 0),
          tf.fill(y.shape, slope),
          tf.cast(tf.less(y, max), 'float32'),
        );
        return tf.mul(dy, d);
      }
      case 'leaky_relu': {
        const alpha = num(s.alpha, 0.3);
        return tf.mul(dy, tf.where(tf.greater(y, 0), tf.onesLike(y), tf.fill(y.shape, alpha)));
      }
      case 'elu': {
        const alpha = num(s.alpha, 1);
        return tf.mul(dy, tf.where(tf.greater(y, 0), tf.onesLike(y), tf.add(y, alpha)));
      }
      case 'sigmoid':
        return tf.mul(dy, tf.mul(y, tf.sub(1, y)));
      case 'tanh':
        return tf.mul(dy, tf.sub(1, tf.square(y)));
      case 'softmax':
        return tf.mul(y, tf.sub(dy, tf.sum(tf.mul(dy, y), -1, true)));
      case 'swish':
        throw new Error(`layer ${s.name}: swish needs its input for the gradient`);
    }
  });
}

/** dX from the input X (any function). */
export function gradOfInput(s: Spec, x: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    switch (s.fn) {
      case 'swish': {
        const sg = tf.sigmoid(x);
        return tf.mul(dy, tf.mul(sg, tf.add(1, tf.mul(x, tf.sub(1, sg)))));
      }
      case 'relu_ext': {
        const { max, slope, threshold } = reluExt(s);
        const d = tf.where(
          tf.less(x, threshold),
          tf.fill(x.shape, slope),
          tf.cast(tf.less(x, max), 'float32'),
        );
        return tf.mul(dy, d);
      }
      case 'leaky_relu': {
        const alpha = num(s.alpha, 0.3);
        return tf.mul(dy, tf.where(tf.greater(x, 0), tf.onesLike(x), tf.fill(x.shape, alpha)));
      }
      case 'elu': {
        const alpha = num(s.alpha, 1);
        return tf.mul(dy, tf.where(tf.greater(x, 0), tf.onesLike(x), tf.mul(tf.exp(x), alpha)));
      }
      default:
        return gradOfOutput(s, activationForward(s, x), dy);
    }
  });
}
