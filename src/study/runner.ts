/**
 * `cdma study` for training: trains each network on the dataset with the
 * layer-wise executor and records its activations every K steps
 * (model-run.ts), writing DIR/results.json as it goes. Resumable: a study
 * found in DIR with the same settings continues where it stopped (finished
 * networks are kept, an unfinished one resumes from its checkpoint) and
 * gives the numbers an uninterrupted run would have.
 */
import { existsSync, rmSync } from 'node:fs';
import { prepareOutputDir, writeOutput } from '../io/write.js';
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import type { Dataset } from '../data/dataset.js';
import { prepareDataset } from '../data/prepare.js';
import { loadRawDataset, parseDatasetSpec } from '../data/source.js';
import { initBackend } from '../nn/backend.js';
import { stepsPerEpoch } from '../train/batches.js';
import { chooseInputShape } from '../train/input-shape.js';
import { RLE_DEFAULTS } from '../codec/rle.js';
import type { MeasureConfig } from './measure.js';
import {
  InlineMeasureService,
  WorkerMeasureService,
  type MeasureService,
} from './measure-service.js';
import { runModel } from './model-run.js';
import { GENERATOR, smallVariant, type StudyOptions, type StudyOutcome } from './options.js';
import {
  RESULTS_FORMAT,
  RESULTS_VERSION,
  readResults,
  type ModelResult,
  type StudyConfig,
  type StudyResults,
} from './results.js';

export {
  GENERATOR,
  smallVariant,
  type StudyOptions,
  type StudyOutcome,
  type StudyProgress,
} from './options.js';

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
    'lrSchedule',
    'warmup',
    'momentum',
    'weightDecay',
    'backend',
  ];
  for (const k of keys) if (a[k] !== b[k]) return `${k} ${String(a[k])} (now ${String(b[k])})`;
  if (a.zlib.level !== b.zlib.level || a.zlib.sampleImages !== b.zlib.sampleImages)
    return 'zlib settings';
  if (JSON.stringify(a.rle) !== JSON.stringify(b.rle)) return 'RLE settings';
  return null;
}

function writeJsonAtomic(path: string, value: unknown): void {
  writeOutput(path, `${JSON.stringify(value, null, 1)}\n`, { what: 'study results' });
}

/** Runs or resumes a study into `o.out`. */
export async function runStudy(o: StudyOptions): Promise<StudyOutcome> {
  checkInt('--every', o.every, 1);
  checkInt('--batch', o.batch, 1);
  checkInt('--steps', o.steps, 1);
  checkInt('--epochs', o.epochs, 1);
  checkInt('--seed', o.seed, 0);
  checkInt('--warmup', o.warmup, 0);
  checkInt('--maps', o.maps, 0);
  checkInt('--map-layers', o.mapLayers, 0);
  checkInt('--map-channels', o.mapChannels, 1);
  if ((o.steps === undefined) === (o.epochs === undefined)) {
    throw new InvalidArgumentError('give --steps or --epochs (exactly one)');
  }
  if (o.imported === undefined && o.models.length === 0) {
    throw new InvalidArgumentError('--models names no network');
  }
  const names =
    o.imported !== undefined ? [o.imported.spec.name] : [...new Set(o.models.map(smallVariant))];
  const requestedOf =
    o.imported !== undefined
      ? new Map([[o.imported.spec.name, o.imported.path]])
      : new Map(o.models.map((m) => [smallVariant(m), m.trim().toLowerCase()]));
  const log = o.log ?? (() => {});

  const source = parseDatasetSpec(o.dataset);
  log(`loading ${source.spec}`);
  const importedShape = o.imported?.spec.layers[0];
  const raw = loadRawDataset(source, {
    limit: o.limit,
    target: importedShape?.kind === 'input' ? importedShape.shape : undefined,
  });
  if (o.imported !== undefined && raw.numClasses > o.imported.spec.numClasses) {
    throw new InvalidArgumentError(
      `${o.imported.path}: the model has ${o.imported.spec.numClasses} classes and the dataset ${raw.numClasses}; ` +
        `pass --classes ${raw.numClasses} to replace its head`,
    );
  }
  if (raw.train.count < o.batch) {
    throw new InvalidArgumentError(
      `batch ${o.batch} is larger than the ${raw.train.count} training images; use a smaller --batch`,
    );
  }
  const perEpoch = stepsPerEpoch(raw.train.count, o.batch);
  const steps = o.steps ?? perEpoch * (o.epochs as number);
  const measure: MeasureConfig = {
    zlibLevel: o.zlibLevel,
    zlibSampleImages: o.zlibSampleImages,
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
    lrSchedule: o.lrSchedule,
    warmup: o.warmup,
    momentum: o.momentum,
    weightDecay: o.weightDecay,
    zlib: { level: o.zlibLevel, sampleImages: o.zlibSampleImages },
    rle: { ...RLE_DEFAULTS },
    backend: o.backend,
  };

  prepareOutputDir(o.out, 'study folder');
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
  prepareOutputDir(join(o.out, 'checkpoints'), 'checkpoint folder');

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
      const shape =
        importedShape?.kind === 'input'
          ? importedShape.shape
          : chooseInputShape(name, raw.shape, raw.numClasses).shape;
      const key = shape.join('x');
      let dataset = prepared.get(key);
      if (!dataset) {
        dataset = prepareDataset(raw, { shape, preprocessing: o.preprocessing });
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
