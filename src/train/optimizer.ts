/** What the trainer needs of an optimiser (Sgd, Adam); `--optimizer` picks one by name. */
import { InvalidArgumentError } from '../errors.js';
import type { Param } from '../nn/param.js';

export interface Optimizer {
  /** The learning rate the next step() uses. */
  readonly lr: number;
  setLearningRate(lr: number): void;
  /** Updates every parameter that has a gradient, and disposes that gradient. */
  step(params: readonly Param[]): void;
  /** Frees the optimiser's state. */
  dispose(): void;
}

export type OptimizerName = 'sgd' | 'adam';
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['sgd', 'adam'];

export function parseOptimizerName(s: string): OptimizerName {
  if (s === 'sgd' || s === 'adam') return s;
  throw new InvalidArgumentError(
    `--optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got '${s}'`,
  );
}
