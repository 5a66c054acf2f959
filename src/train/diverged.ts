/**
 * A run whose loss stopped being a finite number: from then on the weights
 * are NaN or infinite and every further step is wasted, so training stops
 * at the first such step with an error naming it.
 */
import { CdmaError } from '../errors.js';

export class TrainingDivergedError extends CdmaError {
  constructor(
    /** 1-based step whose loss was not finite. */
    readonly step: number,
    readonly loss: number,
    /** The run's base learning rate. */
    readonly lr: number,
  ) {
    super(
      'DIVERGED',
      `training diverged at step ${step}: the loss is ${loss}; lower --lr (it is ${lr})`,
    );
  }
}

/** Throws TrainingDivergedError unless `loss` (of 1-based `step`, base rate `lr`) is finite. */
export function checkLoss(loss: number, step: number, lr: number): void {
  if (!Number.isFinite(loss)) throw new TrainingDivergedError(step, loss, lr);
}
