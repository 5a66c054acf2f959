/**
 * The training loop: a zoo network (or any ModelSpec) on a Dataset with SGD
 * (momentum, weight decay), seeded end to end, so the same options give
 * bit-identical weights. Evaluates test accuracy at the end (and, if asked,
 * after every epoch) and returns a summary with per-step records. A loss
 * that is not finite stops the run at that step (TrainingDivergedError).
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';
import type { Dataset, Split } from '../data/dataset.js';
import { initBackend, type BackendName } from '../nn/backend.js';
import { Executor, type ExecutorOptions } from '../nn/executor.js';
import type { ModelSpec } from '../nn/spec.js';
import type { SavedTensorStore } from '../nn/store.js';
import { getModel } from '../nn/zoo/index.js';
import { batches, gather, stepsPerEpoch } from './batches.js';
import { cleanUp } from './clean-up.js';
import { checkLoss } from './diverged.js';
import { learningRate, parseLrSchedule, type LrScheduleName } from './lr-schedule.js';
import { Adam } from './adam.js';
import type { Optimizer, OptimizerName } from './optimizer.js';
import { Sgd } from './sgd.js';

export interface TrainOptions {
  /** Zoo name (built at the dataset's shape and class count) or a ModelSpec. */
  readonly model: string | ModelSpec;
  /** Starting values of parameters and buffers by name (an imported model's weights); the rest seeded. */
  readonly initialValues?: ReadonlyMap<string, Float32Array>;
  /** 'sgd' (default; momentum, weight decay) or 'adam' (Keras' defaults; weight decay as L2). */
  readonly optimizer?: OptimizerName;
  /** Called with the trained executor, after the final evaluation and before it is freed (e.g. to save it). */
  readonly onTrained?: (exec: Executor) => void | Promise<void>;
  readonly dataset: Dataset;
  readonly batch: number;
  /** Train for this many steps... */
  readonly steps?: number;
  /** ...or this many epochs (exactly one of the two). */
  readonly epochs?: number;
  /** Base learning rate. */
  readonly lr: number;
  /** How the rate changes over the run (default 'linear': decay to zero at the last step). */
  readonly lrSchedule?: LrScheduleName;
  /** Steps of linear warm-up before the schedule (default 0). */
  readonly warmupSteps?: number;
  /** Default 0.9. */
  readonly momentum?: number;
  /** L2 weight decay on weights (not biases / batchnorm); default 5e-4. */
  readonly weightDecay?: number;
  readonly seed: number;
  /** Default 'wasm'. */
  readonly backend?: BackendName;
  /** Saved-tensor store for the executor (default: keep in place). */
  readonly store?: SavedTensorStore;
  /** Device memory limit for the executor, bytes. */
  readonly deviceLimitBytes?: number;
  /** Images per evaluation forward pass (default max(batch, 100)). */
  readonly evalBatch?: number;
  /** Also evaluate the test split after every full epoch. */
  readonly evalEachEpoch?: boolean;
  /** Called before each training step with its number (1-based, as StepRecord.step). */
  readonly beforeStep?: (step: number) => void | Promise<void>;
  /** Sees each layer's forward output (e.g. an activation recorder); must not keep or dispose it. */
  readonly observer?: ExecutorOptions['observer'];
  readonly onStep?: (r: StepRecord) => void | Promise<void>;
  readonly onEpoch?: (r: EpochRecord) => void | Promise<void>;
  /** Test-set evaluation progress, in images. */
  readonly onEval?: (done: number, total: number) => void;
}

export interface StepRecord {
  /** 1-based step number. */
  readonly step: number;
  /** 1-based epoch the step belongs to. */
  readonly epoch: number;
  /** Mean cross-entropy over the batch. */
  readonly loss: number;
  /** Share of the batch classified correctly (before this step's update). */
  readonly accuracy: number;
  /** Learning rate of this step's update. */
  readonly lr: number;
  /** Wall time of the step (forward, backward, update), milliseconds. */
  readonly ms: number;
  /** Device bytes in use after the step and the peak during it. */
  readonly deviceBytes: number;
  readonly peakDeviceBytes: number;
}

export interface EpochRecord {
  readonly epoch: number;
  readonly steps: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly testLoss?: number;
  readonly testAccuracy?: number;
}

export interface TrainSummary {
  readonly model: string;
  readonly dataset: string;
  readonly backend: BackendName;
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  readonly trainImages: number;
  readonly testImages: number;
  readonly batch: number;
  readonly steps: number;
  /** Steps / steps per epoch. */
  readonly epochs: number;
  readonly lr: number;
  readonly lrSchedule: LrScheduleName;
  readonly warmupSteps: number;
  readonly optimizer: OptimizerName;
  /** SGD momentum (0 for Adam, which has none). */
  readonly momentum: number;
  readonly weightDecay: number;
  readonly seed: number;
  /** Mean training loss over the last FINAL_WINDOW steps (or all, if fewer). */
  readonly finalLoss: number;
  /** Training accuracy over the same steps. */
  readonly finalTrainAccuracy: number;
  readonly testLoss: number;
  readonly testAccuracy: number;
  /** Training images per second over the whole training loop (batching, steps, updates; evaluation excluded). */
  readonly imagesPerSec: number;
  readonly trainSeconds: number;
  readonly evalSeconds: number;
  /** Highest device (accelerator heap) bytes in use during any step. */
  readonly peakDeviceBytes: number;
  /** SHA-256 of the final weights (executor.weightsHash()). */
  readonly weightsSha256: string;
  readonly epochRecords: readonly EpochRecord[];
  readonly records: readonly StepRecord[];
}

/** Steps averaged into the summary's final loss and training accuracy. */
export const FINAL_WINDOW = 20;

function checkPositive(name: string, v: number | undefined, integer: boolean): void {
  if (v === undefined) return;
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isSafeInteger(v))) {
    throw new InvalidArgumentError(
      `${name} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`,
    );
  }
}

function checkNonNegative(name: string, v: number): void {
  if (!Number.isFinite(v) || v < 0)
    throw new InvalidArgumentError(`${name} must be a number >= 0, got ${v}`);
}

function buildModel(model: string | ModelSpec, dataset: Dataset): ModelSpec {
  if (typeof model === 'string') {
    return getModel(model, { inputShape: dataset.shape, numClasses: dataset.numClasses });
  }
  const input = model.layers[0];
  if (input?.kind !== 'input' || input.shape.join() !== dataset.shape.join()) {
    throw new InvalidArgumentError(
      `model ${model.name} takes input ${input?.kind === 'input' ? input.shape.join('x') : '?'} but the dataset is ${dataset.shape.join('x')}`,
    );
  }
  if (model.numClasses < dataset.numClasses) {
    throw new InvalidArgumentError(
      `model ${model.name} has ${model.numClasses} classes; the dataset ${dataset.numClasses}`,
    );
  }
  return model;
}

/** Runs fn over the split in chunks of evalBatch; returns mean loss and accuracy. */
async function evaluate(
  exec: Executor,
  split: Split,
  shape: readonly [number, number, number],
  evalBatch: number,
  onEval?: (done: number, total: number) => void,
): Promise<{ loss: number; accuracy: number }> {
  const [c, h, w] = shape;
  const size = c * h * w;
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < split.count; start += evalBatch) {
    const n = Math.min(evalBatch, split.count - start);
    const idx = Array.from({ length: n }, (_, i) => start + i);
    const { images, labels } = gather(split, size, idx);
    const x = tf.tensor4d(images, [n, h, w, c]);
    let failed = false;
    try {
      const r = await exec.evaluate(x, labels);
      lossSum += r.loss * n;
      correct += r.correct;
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      cleanUp(failed, () => x.dispose());
    }
    onEval?.(start + n, split.count);
  }
  return { loss: lossSum / split.count, accuracy: correct / split.count };
}

export async function train(opts: TrainOptions): Promise<TrainSummary> {
  const { dataset, batch, seed } = opts;
  const momentum = opts.momentum ?? 0.9;
  const weightDecay = opts.weightDecay ?? 5e-4;
  const backend = opts.backend ?? 'wasm';
  const lrSchedule = parseLrSchedule(opts.lrSchedule ?? 'linear');
  const warmupSteps = opts.warmupSteps ?? 0;
  checkPositive('batch', batch, true);
  checkPositive('steps', opts.steps, true);
  checkPositive('epochs', opts.epochs, true);
  checkPositive('learning rate', opts.lr, false);
  checkPositive('eval batch', opts.evalBatch, true);
  checkNonNegative('momentum', momentum);
  if (!Number.isSafeInteger(warmupSteps) || warmupSteps < 0) {
    throw new InvalidArgumentError(`warm-up steps must be an integer >= 0, got ${warmupSteps}`);
  }
  checkNonNegative('weight decay', weightDecay);
  if (!Number.isSafeInteger(seed))
    throw new InvalidArgumentError(`seed must be an integer, got ${seed}`);
  if ((opts.steps === undefined) === (opts.epochs === undefined)) {
    throw new InvalidArgumentError('give either steps or epochs (exactly one)');
  }
  if (dataset.train.count < batch) {
    throw new InvalidArgumentError(
      `batch ${batch} is larger than the ${dataset.train.count} training images; use a smaller --batch`,
    );
  }
  if (dataset.test.count === 0)
    throw new InvalidArgumentError(`dataset ${dataset.name} has no test images`);
  const perEpoch = stepsPerEpoch(dataset.train.count, batch);
  const steps = opts.steps ?? perEpoch * (opts.epochs as number);
  const evalBatch = opts.evalBatch ?? Math.max(batch, 100);
  const [c, h, w] = dataset.shape;
  const size = c * h * w;

  await initBackend(backend);
  const spec = buildModel(opts.model, dataset);
  const exec = Executor.create(spec, {
    seed,
    store: opts.store,
    deviceLimitBytes: opts.deviceLimitBytes,
    initialValues: opts.initialValues,
    observer: opts.observer,
  });
  const lrAt = (s: number) => learningRate(lrSchedule, opts.lr, s, steps, warmupSteps);
  const optimizer = opts.optimizer ?? 'sgd';
  const sgd: Optimizer =
    optimizer === 'adam'
      ? new Adam({ lr: lrAt(0), weightDecay })
      : new Sgd({ lr: lrAt(0), momentum, weightDecay });
  const records: StepRecord[] = [];
  const epochRecords: EpochRecord[] = [];
  let peak = 0;
  let trainMs = 0;
  let evalMs = 0;
  let failed = false;
  try {
    let epochLoss = 0;
    let epochCorrect = 0;
    let epochSteps = 0;
    const loopStart = performance.now();
    for (const b of batches(dataset.train, size, batch, seed, steps)) {
      await opts.beforeStep?.(records.length + 1);
      const t0 = performance.now();
      const x = tf.tensor4d(b.images, [batch, h, w, c]);
      let r;
      let stepFailed = false;
      try {
        r = await exec.trainStep(x, b.labels, records.length);
      } catch (e) {
        stepFailed = true;
        throw e;
      } finally {
        cleanUp(stepFailed, () => x.dispose());
      }
      checkLoss(r.loss, records.length + 1, opts.lr);
      const lr = lrAt(records.length);
      sgd.setLearningRate(lr);
      sgd.step(exec.params);
      const ms = performance.now() - t0;
      peak = Math.max(peak, r.peakDeviceBytes);
      const rec: StepRecord = {
        step: records.length + 1,
        epoch: b.epoch + 1,
        loss: r.loss,
        accuracy: r.correct / batch,
        lr,
        ms,
        deviceBytes: exec.deviceBytes,
        peakDeviceBytes: r.peakDeviceBytes,
      };
      records.push(rec);
      epochLoss += r.loss;
      epochCorrect += r.correct;
      epochSteps++;
      await opts.onStep?.(rec);
      if (b.indexInEpoch === perEpoch - 1) {
        let test: { loss: number; accuracy: number } | undefined;
        if (opts.evalEachEpoch && rec.step < steps) {
          const e0 = performance.now();
          test = await evaluate(exec, dataset.test, dataset.shape, evalBatch, opts.onEval);
          evalMs += performance.now() - e0;
        }
        const er: EpochRecord = {
          epoch: b.epoch + 1,
          steps: epochSteps,
          trainLoss: epochLoss / epochSteps,
          trainAccuracy: epochCorrect / (epochSteps * batch),
          testLoss: test?.loss,
          testAccuracy: test?.accuracy,
        };
        epochRecords.push(er);
        await opts.onEpoch?.(er);
        epochLoss = 0;
        epochCorrect = 0;
        epochSteps = 0;
      }
    }
    trainMs = performance.now() - loopStart - evalMs;
    const e0 = performance.now();
    const test = await evaluate(exec, dataset.test, dataset.shape, evalBatch, opts.onEval);
    evalMs += performance.now() - e0;
    // The last epoch's record gets the final test result when it ended exactly at the last step.
    const last = epochRecords[epochRecords.length - 1];
    if (last !== undefined && last.testAccuracy === undefined && steps % perEpoch === 0) {
      epochRecords[epochRecords.length - 1] = {
        ...last,
        testLoss: test.loss,
        testAccuracy: test.accuracy,
      };
    }
    const tail = records.slice(-FINAL_WINDOW);
    await opts.onTrained?.(exec);
    return {
      model: spec.name,
      dataset: dataset.name,
      backend,
      inputShape: [c, h, w],
      numClasses: spec.numClasses,
      trainImages: dataset.train.count,
      testImages: dataset.test.count,
      batch,
      steps,
      epochs: steps / perEpoch,
      lr: opts.lr,
      lrSchedule,
      warmupSteps,
      optimizer,
      momentum: optimizer === 'adam' ? 0 : momentum,
      weightDecay,
      seed,
      finalLoss: tail.reduce((s, r) => s + r.loss, 0) / tail.length,
      finalTrainAccuracy: tail.reduce((s, r) => s + r.accuracy, 0) / tail.length,
      testLoss: test.loss,
      testAccuracy: test.accuracy,
      imagesPerSec: (steps * batch) / (trainMs / 1000),
      trainSeconds: trainMs / 1000,
      evalSeconds: evalMs / 1000,
      peakDeviceBytes: peak,
      weightsSha256: await exec.weightsHashAsync(),
      epochRecords,
      records,
    };
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    // A failure's own error wins over one from freeing after it.
    cleanUp(
      failed,
      () => sgd.dispose(),
      () => exec.dispose(),
    );
  }
}
