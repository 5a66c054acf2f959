/**
 * Trains one network of a study and records it: every K steps the recorder
 * hands the activations to the measure service; the step's measurements are
 * collected when the next recorded step starts (so measuring overlaps
 * training), then the results so far and a checkpoint of the training state
 * (weights, momentum, next step) are persisted. Started again with the
 * network's earlier results and a matching checkpoint, it resumes exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { rmSync } from 'node:fs';
import { prepareOutputDir, writeOutput } from '../io/write.js';
import { join } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { Executor } from '../nn/executor.js';
import { KeepStore } from '../nn/keep-store.js';
import { analyzeModel } from '../nn/shapes.js';
import { getModel } from '../nn/zoo/index.js';
import { epochOrder, gather, stepsPerEpoch } from '../train/batches.js';
import { learningRate } from '../train/lr-schedule.js';
import { Sgd } from '../train/sgd.js';
import { ModelAccumulator } from './aggregate.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { MeasureService } from './measure-service.js';
import { safeName, type StudyOptions } from './options.js';
import { StepRecorder, type RecordedStep } from './recorder.js';
import type { ModelResult } from './results.js';
import { isRecordStep, mapSteps } from './schedule.js';
import { checkLoss } from '../train/diverged.js';

export interface ModelRun {
  readonly result: ModelResult;
  readonly interrupted: boolean;
}

/** Runs (or resumes) one network; `save` persists the study after each recorded step. */
export async function runModel(
  o: StudyOptions,
  name: string,
  requested: string,
  dataset: Dataset,
  steps: number,
  service: MeasureService,
  previous: ModelResult | undefined,
  save: (r: ModelResult) => void,
): Promise<ModelRun> {
  const log = o.log ?? (() => {});
  const spec =
    o.imported?.spec ??
    getModel(name, { inputShape: dataset.shape, numClasses: dataset.numClasses });
  const mapDir = join(o.out, 'maps', safeName(name));
  const ckptPath = join(o.out, 'checkpoints', `${safeName(name)}.ckpt`);
  const now = () => performance.now();

  const create = () => {
    const rec = new StepRecorder(analyzeModel(spec), service, {
      maxMapLayers: o.mapLayers,
      mapChannels: o.mapChannels,
    });
    const exec = Executor.create(spec, {
      seed: o.seed,
      initialValues: o.imported?.initialValues,
      store: rec.wrap(new KeepStore()),
      observer: rec.observer,
    });
    return { rec, exec };
  };
  let { rec, exec } = create();
  // As in the trainer: Sgd fixes its rate, and its momentum lives in the
  // parameters' slots, so a new Sgd per rate continues the same optimisation.
  const lrAt = (step: number) => learningRate(o.lrSchedule, o.lr, step, steps, o.warmup);
  const sgdFor = (lr: number) => new Sgd({ lr, momentum: o.momentum, weightDecay: o.weightDecay });
  let sgd = sgdFor(lrAt(0));
  let start = 0;
  let acc = new ModelAccumulator(name, requested, steps);
  if (previous && previous.stepsDone > 0) {
    try {
      const st = readCheckpoint(ckptPath, exec.params, exec.buffers);
      if (st.model !== name || st.seed !== o.seed || st.step !== previous.stepsDone) {
        throw new Error(
          `it is at step ${st.step} of ${st.model}, results at step ${previous.stepsDone}`,
        );
      }
      start = st.step;
      acc = new ModelAccumulator(name, requested, steps, previous);
      log(`${name}: resuming at step ${start} of ${steps}`);
    } catch (e) {
      log(`${name}: cannot resume (${(e as Error).message}); starting it again`);
      exec.dispose();
      ({ rec, exec } = create());
    }
  }
  if (start === 0) rmSync(mapDir, { recursive: true, force: true });
  prepareOutputDir(mapDir, 'map folder');

  const [c, h, w] = dataset.shape;
  const size = c * h * w;
  const perEpoch = stepsPerEpoch(dataset.train.count, o.batch);
  const mapAt = mapSteps(steps, o.every, o.maps);
  const progress = o.progress?.(name, steps);
  progress?.update(start, start > 0 ? 'resumed' : '');
  let pending: Promise<RecordedStep> | null = null;
  const stepInfo = new Map<number, { loss: number; accuracy: number }>();
  let trainMs = 0;
  let recordMs = 0;
  let measureMs = 0;
  let lastInfo = '';

  /** Waits for the last recorded step's measurements and adds them. */
  const collect = async (): Promise<void> => {
    if (!pending) return;
    const t0 = now();
    const r = await pending;
    pending = null;
    const info = stepInfo.get(r.step);
    stepInfo.delete(r.step);
    acc.addStep({
      step: r.step,
      loss: info?.loss ?? null,
      accuracy: info?.accuracy ?? null,
      tensors: r.tensors,
    });
    const used = new Set<string>();
    for (const m of r.maps) {
      let file = `${safeName(m.layer)}-s${m.step}.png`;
      for (let k = 2; used.has(file); k++) file = `${safeName(m.layer)}-${k}-s${m.step}.png`;
      used.add(file);
      writeOutput(join(mapDir, file), m.image.png, { what: 'activation map' });
      acc.addMap({
        layer: m.layer,
        step: m.step,
        file: `maps/${safeName(name)}/${file}`,
        channels: m.image.channels,
        density: m.image.density,
      });
    }
    measureMs += r.measureMs;
    const d =
      r.tensors.reduce((s, t) => s + t.density * t.shape.reduce((p, x) => p * x, 1), 0) /
      r.tensors.reduce((s, t) => s + t.shape.reduce((p, x) => p * x, 1), 0);
    lastInfo = `density ${(100 * d).toFixed(1)}% at step ${r.step}`;
    recordMs += now() - t0;
  };
  /** Persists results and the training state at `stepsDone`. */
  const persist = async (stepsDone: number, status: 'running' | 'complete'): Promise<void> => {
    const t0 = now();
    acc.addTime(trainMs / 1000, recordMs / 1000, measureMs / 1000);
    trainMs = recordMs = measureMs = 0;
    if (status === 'running' && stepsDone > 0) {
      await writeCheckpoint(
        ckptPath,
        { model: name, step: stepsDone, seed: o.seed },
        exec.params,
        exec.buffers,
      );
    }
    save(acc.result(stepsDone, status));
    if (status === 'complete') rmSync(ckptPath, { force: true });
    recordMs += now() - t0; // counted into the next save
  };

  let s = start;
  let interrupted = false;
  let order: Uint32Array | null = null;
  let orderEpoch = -1;
  try {
    for (; s < steps; s++) {
      // wasm kernels run synchronously, so a step never yields to the event
      // loop by itself; yield here so that signals (Ctrl-C) and replies are seen.
      await new Promise((resolve) => setImmediate(resolve));
      if (o.signal?.aborted) {
        interrupted = true;
        break;
      }
      const record = isRecordStep(s, steps, o.every);
      if (record) {
        await collect();
        if (s > start) await persist(s, 'running');
        rec.begin(s, mapAt.has(s));
      }
      const epoch = Math.floor(s / perEpoch);
      if (epoch !== orderEpoch || !order) {
        order = epochOrder(dataset.train.count, o.seed, epoch);
        orderEpoch = epoch;
      }
      const k = s % perEpoch;
      const b = gather(dataset.train, size, order.subarray(k * o.batch, (k + 1) * o.batch));
      const x = tf.tensor4d(b.images, [o.batch, h, w, c]);
      const t0 = now();
      let r;
      try {
        r = await exec.trainStep(x, b.labels, s);
      } catch (e) {
        if (record) rec.abort();
        throw e;
      } finally {
        x.dispose();
      }
      if (!Number.isFinite(r.loss)) {
        if (record) rec.abort();
        checkLoss(r.loss, s + 1, o.lr);
      }
      const lr = lrAt(s);
      if (lr !== sgd.lr) sgd = sgdFor(lr);
      sgd.step(exec.params);
      const handover = rec.takeMainMs();
      trainMs += now() - t0 - handover;
      recordMs += handover;
      if (record) {
        stepInfo.set(s, { loss: r.loss, accuracy: r.correct / o.batch });
        pending = rec.end();
      }
      progress?.update(s + 1, `loss ${r.loss.toFixed(3)}${lastInfo ? ` | ${lastInfo}` : ''}`);
    }
    await collect();
    const complete = s >= steps;
    await persist(s, complete ? 'complete' : 'running');
    return { result: acc.result(s, complete ? 'complete' : 'running'), interrupted };
  } finally {
    progress?.stop();
    sgd.dispose();
    exec.dispose();
  }
}
