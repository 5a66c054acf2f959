/**
 * Validation and counting helpers the layer descriptors' analyze rules share.
 * Every failure is an InvalidArgumentError naming the layer.
 */
import { InvalidArgumentError } from '../../errors.js';
import type { Pad4, Pair } from '../spec.js';
import type { LayerCosts, Shape } from './kind.js';

export const product = (s: Shape): number => s.reduce((a, b) => a * b, 1);

export function fail(layer: string, what: string): never {
  throw new InvalidArgumentError(`model layer '${layer}': ${what}`);
}

export function isPosInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
}
export function isNonNegInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

export function checkPair(layer: string, field: string, p: Pair | undefined): void {
  if (!Array.isArray(p) || p.length !== 2 || !p.every(isPosInt)) {
    fail(layer, `${field} must be two positive integers, got ${JSON.stringify(p)}`);
  }
}
export function checkPad(layer: string, p: Pad4 | undefined): void {
  if (!Array.isArray(p) || p.length !== 4 || !p.every(isNonNegInt)) {
    fail(layer, `pad must be four non-negative integers, got ${JSON.stringify(p)}`);
  }
}

export function featureMap(layer: string, s: Shape): readonly [number, number, number] {
  if (s.length !== 3) {
    fail(layer, `needs a [C,H,W] feature map input, got [${s.join(',')}]`);
  }
  return [s[0], s[1], s[2]];
}

/** Output size of a sliding window; throws when it is not positive. */
export function windowOut(
  layer: string,
  size: number,
  kernel: number,
  stride: number,
  padA: number,
  padB: number,
): number {
  const span = size + padA + padB - kernel;
  if (span < 0) {
    fail(layer, `kernel ${kernel} is larger than its padded input ${size + padA + padB}`);
  }
  return Math.floor(span / stride) + 1;
}

/** Costs of a parameter-free layer whose output has its input's shape. */
export function elementwise(x: Shape, fwdPerElement: number, bwdPerElement: number): LayerCosts {
  const n = product(x);
  return {
    outputShape: x,
    params: 0,
    forwardFlops: fwdPerElement * n,
    paramGradFlops: 0,
    inputGradFlops: bwdPerElement * n,
  };
}

/** Costs of a layer that does no arithmetic (the model input). */
export function noCosts(outputShape: Shape): LayerCosts {
  return { outputShape, params: 0, forwardFlops: 0, paramGradFlops: 0, inputGradFlops: 0 };
}
