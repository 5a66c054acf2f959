/**
 * `cdma study` for training: trains each network on the dataset with the
 * layer-wise executor and records its activations every K steps (see
 * recorder.ts), writing DIR/results.json as it goes. Resumable: after every
 * recorded step the results so far and a checkpoint of the training state
 * (weights, momentum, next step) are written atomically, so an interrupted
 * study continues from its last recorded step with the same numbers an
 * uninterrupted one would have produced.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import type { Dataset } from '../data/dataset.js';
import { prepareDataset } from '../data/prepare.js';
import { loadRawDataset, parseDatasetSpec } from '../data/source.js';
import { initBackend, type BackendName } from '../nn/backend.js';
import { Executor } from '../nn/executor.js';
import { KeepStore } from '../nn/keep-store.js';
import { analyzeModel } from '../nn/shapes.js';
import { getModel, listModels } from '../nn/zoo/index.js';
import { epochOrder, gather, stepsPerEpoch } from '../train/batches.js';
import { chooseInputShape } from '../train/input-shape.js';
import { Sgd } from '../train/sgd.js';
import { RLE_DEFAULTS } from '../codec/rle.js';
import { ModelAccumulator } from './aggregate.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { MeasureConfig } from './measure.js';
import {
  InlineMeasureService,
  WorkerMeasureService,
  type MeasureService,
} from './measure-service.js';
import { StepRecorder, type RecordedStep } from './recorder.js';
import {
  RESULTS_FORMAT,
  RESULTS_VERSION,
  readResults,
  type ModelResult,
  type StudyConfig,
  type StudyResults,
} from './results.js';
import { isRecordStep, mapSteps } from './schedule.js';

export interface StudyProgress {
  update(done: number, info?: string): void;
  stop(): void;
}

export interface StudyOptions {
  /** Network names; each maps to its -small variant (alexnet -> alexnet-small). */
  readonly models: readonly string[];
  /** Dataset spec (see DATASET_SPEC_HELP). */
  readonly dataset: string;
  /** Steps per network... */
  readonly steps?: number;
  /** ...or passes over the training split (exactly one of the two). */
  readonly epochs?: number;
  /** Record every K steps. */
  readonly every: number;
  readonly batch: number;
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly seed: number;
  readonly backend: BackendName;
  /** Output folder: results.json, maps/, checkpoints/. */
  readonly out: string;
  readonly zlibLevel: number;
  readonly zlibSampleBytes: number;
  /** Recorded steps that get activation maps, per network. */
  readonly maps: number;
  /** Tensors per network that get maps. */
  readonly mapLayers: number;
  /** Channels per map. */
  readonly mapChannels: number;
  /** Use at most this many training images. */
  readonly limit?: number;
  /** Measure on a worker thread (default) or inline. */
  readonly threads: boolean;
  /** Discard what DIR holds instead of resuming. */
  readonly fresh: boolean;
  /** Stops at the next step boundary, saving everything needed to resume. */
  readonly signal?: AbortSignal;
  readonly progress?: (model: string, total: number) => StudyProgress;
  readonly log?: (line: string) => void;
}

export interface StudyOutcome {
  readonly results: StudyResults;
  readonly interrupted: boolean;
  readonly resultsPath: string;
}

export const GENERATOR = 'cdma 0.1.0 study';

/** The zoo's -small variant of a network name (names already ending in -small stay). */
export function smallVariant(name: string): string {
  const n = name.trim().toLowerCase();
  const small = n.endsWith('-small') ? n : `${n}-small`;
  if (!listModels().some((m) => m.name === small)) {
    const valid = listModels()
      .filter((m) => m.name.endsWith('-small'))
      .map((m) => m.name.replace(/-small$/, ''));
    throw new InvalidArgumentError(
      `unknown network '${name}' for --models; use some of: ${valid.join(', ')}`,
    );
  }
  return small;
}

function checkInt(name: string, v: number | undefined, min: number): void {
  if (v !== undefined && !(Number.isSafeInteger(v) && v >= min)) {
    throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got ${v}`);
  }
}

/** Settings a resumed study must share with the one in DIR. */
function sameSettings(a: StudyConfig, b: StudyConfig): string | null {
  const keys: (keyof StudyConfig)[] = [
    'mode',
    'dataset',
    'every',
    'batch',
    'seed',
    'steps',
    'lr',
    'momentum',
    'weightDecay',
    'backend',
  ];
  for (const k of keys) if (a[k] !== b[k]) return `${k} ${String(a[k])} (now ${String(b[k])})`;
  if (a.zlib.level !== b.zlib.level || a.zlib.sampleBytes !== b.zlib.sampleBytes)
    return 'zlib settings';
  if (JSON.stringify(a.rle) !== JSON.stringify(b.rle)) return 'RLE settings';
  return null;
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_');
}

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 1)}\n`);
  renameSync(tmp, path);
}

interface ModelRun {
  readonly result: ModelResult;
  readonly interrupted: boolean;
}

/** Runs (or resumes) one network; `save` persists the study after each recorded step. */
async function runModel(
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
  const spec = getModel(name, { inputShape: dataset.shape, numClasses: dataset.numClasses });
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
      store: rec.wrap(new KeepStore()),
      observer: rec.observer,
    });
    return { rec, exec };
  };
  let { rec, exec } = create();
  const sgd = new Sgd({ lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay });
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
  mkdirSync(mapDir, { recursive: true });

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
      writeFileSync(join(mapDir, file), m.image.png);
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
  const persist = (stepsDone: number, status: 'running' | 'complete'): void => {
    const t0 = now();
    acc.addTime(trainMs / 1000, recordMs / 1000, measureMs / 1000);
    trainMs = recordMs = measureMs = 0;
    if (status === 'running' && stepsDone > 0) {
      writeCheckpoint(
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
      if (o.signal?.aborted) {
        interrupted = true;
        break;
      }
      const record = isRecordStep(s, steps, o.every);
      if (record) {
        await collect();
        if (s > start) persist(s, 'running');
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
    persist(s, complete ? 'complete' : 'running');
    return { result: acc.result(s, complete ? 'complete' : 'running'), interrupted };
  } finally {
    progress?.stop();
    sgd.dispose();
    exec.dispose();
  }
}

/** Runs or resumes a study into `o.out`. */
export async function runStudy(o: StudyOptions): Promise<StudyOutcome> {
  checkInt('--every', o.every, 1);
  checkInt('--batch', o.batch, 1);
  checkInt('--steps', o.steps, 1);
  checkInt('--epochs', o.epochs, 1);
  checkInt('--seed', o.seed, 0);
  checkInt('--maps', o.maps, 0);
  checkInt('--map-layers', o.mapLayers, 0);
  checkInt('--map-channels', o.mapChannels, 1);
  if ((o.steps === undefined) === (o.epochs === undefined)) {
    throw new InvalidArgumentError('give --steps or --epochs (exactly one)');
  }
  if (o.models.length === 0) throw new InvalidArgumentError('--models names no network');
  const names = [...new Set(o.models.map(smallVariant))];
  const requestedOf = new Map(o.models.map((m) => [smallVariant(m), m.trim().toLowerCase()]));
  const log = o.log ?? (() => {});

  const source = parseDatasetSpec(o.dataset);
  log(`loading ${source.spec}`);
  const raw = loadRawDataset(source, { limit: o.limit });
  if (raw.train.count < o.batch) {
    throw new InvalidArgumentError(
      `batch ${o.batch} is larger than the ${raw.train.count} training images; use a smaller --batch`,
    );
  }
  const perEpoch = stepsPerEpoch(raw.train.count, o.batch);
  const steps = o.steps ?? perEpoch * (o.epochs as number);
  const measure: MeasureConfig = {
    zlibLevel: o.zlibLevel,
    zlibSampleBytes: o.zlibSampleBytes,
    rleParams: { ...RLE_DEFAULTS },
  };
  const config: StudyConfig = {
    mode: 'training',
    dataset: source.spec,
    every: o.every,
    batch: o.batch,
    seed: o.seed,
    steps,
    lr: o.lr,
    momentum: o.momentum,
    weightDecay: o.weightDecay,
    zlib: { level: o.zlibLevel, sampleBytes: o.zlibSampleBytes },
    rle: { ...RLE_DEFAULTS },
    backend: o.backend,
  };

  mkdirSync(o.out, { recursive: true });
  const resultsPath = join(o.out, 'results.json');
  const models = new Map<string, ModelResult>();
  if (o.fresh) {
    for (const p of ['results.json', 'report.html', 'maps', 'checkpoints'])
      rmSync(join(o.out, p), { recursive: true, force: true });
  } else if (existsSync(resultsPath)) {
    const existing = readResults(resultsPath);
    const diff = sameSettings(existing.config, config);
    if (diff) {
      throw new InvalidArgumentError(
        `${o.out} holds a study with different settings (${diff}); resume it with the same options, or pass --fresh or another --out`,
      );
    }
    for (const m of existing.models) models.set(m.model, m);
    log(`resuming the study in ${o.out}`);
  }
  mkdirSync(join(o.out, 'checkpoints'), { recursive: true });

  const snapshot = (): StudyResults => {
    const order = [...names, ...[...models.keys()].filter((m) => !names.includes(m))];
    return {
      format: RESULTS_FORMAT,
      version: RESULTS_VERSION,
      generator: GENERATOR,
      config,
      models: order.filter((m) => models.has(m)).map((m) => models.get(m) as ModelResult),
    };
  };
  const save = () => writeJsonAtomic(resultsPath, snapshot());

  await initBackend(o.backend);
  const prepared = new Map<string, Dataset>();
  const service: MeasureService = o.threads
    ? await WorkerMeasureService.start(measure)
    : new InlineMeasureService(measure);
  let interrupted = false;
  try {
    for (const name of names) {
      const prev = models.get(name);
      if (prev?.status === 'complete') {
        log(`${name}: already complete in ${o.out}`);
        continue;
      }
      if (o.signal?.aborted) {
        interrupted = true;
        break;
      }
      const choice = chooseInputShape(name, raw.shape, raw.numClasses);
      const key = choice.shape.join('x');
      let dataset = prepared.get(key);
      if (!dataset) {
        dataset = prepareDataset(raw, { shape: choice.shape });
        prepared.set(key, dataset);
      }
      log(
        `${name}: ${steps} steps of batch ${o.batch} on ${dataset.shape.join('x')} images, recording every ${o.every}`,
      );
      const run = await runModel(
        o,
        name,
        requestedOf.get(name) ?? name,
        dataset,
        steps,
        service,
        prev,
        (r) => {
          models.set(name, r);
          save();
        },
      );
      models.set(name, run.result);
      save();
      if (run.interrupted) {
        interrupted = true;
        break;
      }
    }
  } finally {
    await service.close();
  }
  return { results: snapshot(), interrupted, resultsPath };
}
