/**
 * `cdma study --tfjs-model path/model.json --images DIR`: the same per-layer
 * measurements on a pretrained TensorFlow.js Layers model at inference, with
 * no training. The model is loaded through our file IO handler; every
 * layer's output is read back for batches of the folder's images (PNG or
 * JPEG, fitted to the model's input and scaled as --input-range, --resize
 * and --scale say), and each batch counts as one recorded step.
 *
 * The model is named after its file (modelFileName), not Keras' internal
 * name. When cdma can import it, each tensor's `savedFor` lists the layers
 * that would keep it for their backward pass if the model were trained (all
 * layers trainable), so the report can average what vDNN would offload.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
// Layers models build their weights on a backend: the cpu one is always there.
import '@tensorflow/tfjs-backend-cpu';
import { rmSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { InputFileError, InvalidArgumentError } from '../errors.js';
import { listDir, requireDir } from '../data/files.js';
import { FILE_LIMITS } from '../io/limits.js';
import { readBounded } from '../io/read.js';
import { prepareOutputDir, writeOutput } from '../io/write.js';
import { decodeImage } from '../data/image-decode.js';
import { readImageHeader } from '../data/image-header.js';
import { preprocessDataset, type Preprocessing } from '../data/preprocess.js';
import { importLayersModel } from '../tfjs/import.js';
import { modelFileName } from '../tfjs/load.js';
import { ModelPlan } from '../plan/index.js';
import { initBackend, type BackendName } from '../nn/backend.js';
import { RLE_DEFAULTS } from '../codec/rle.js';
import { ModelAccumulator, type TensorMeasurement } from './aggregate.js';
import {
  InlineMeasureService,
  WorkerMeasureService,
  type MeasureService,
} from './measure-service.js';
import { isDrawable } from './maps.js';
import { RESULTS_FORMAT, RESULTS_VERSION, type StudyResults } from './results.js';
import { GENERATOR, type StudyOutcome } from './options.js';
import { loadTfjsModel } from './tfjs-io.js';

export interface TfjsStudyOptions {
  /** Path of the Layers model's model.json. */
  readonly modelPath: string;
  /** Folder of PNG/JPEG images (not recursive). */
  readonly imagesDir: string;
  readonly batch: number;
  /** Use at most this many images (sorted by name). */
  readonly maxImages: number;
  /** Input range (a linear lo,hi; mean-std needs a training split and is refused), resize mode, scaling order. */
  readonly preprocessing: Preprocessing;
  readonly backend: BackendName;
  readonly out: string;
  readonly zlibLevel: number;
  readonly zlibSampleImages: number;
  readonly maps: number;
  readonly mapLayers: number;
  readonly mapChannels: number;
  readonly threads: boolean;
  /**
   * Seed for the weights of a model.json that has none (see seededWeight in
   * tfjs-io.ts); without it such a model is an error.
   */
  readonly randomInit?: number;
  readonly log?: (line: string) => void;
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

interface Target {
  readonly name: string;
  readonly kind: string;
  readonly shape: number[];
  readonly output: tfl.SymbolicTensor;
  /** The layers that would save it for backward in training ("layer:input" / "layer:output"). */
  savedFor: string[];
}

/** A name from model.json as one file name: no separators, no leading dot. */
function safeFileName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return s === '' || s.startsWith('.') ? `_${s}` : s;
}

/** Layers whose single output is [batch, C] or [batch, H, W, C]: the tensors we can measure. */
function targetsOf(model: tfl.LayersModel): { targets: Target[]; skipped: string[] } {
  const targets: Target[] = [];
  const skipped: string[] = [];
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const out = layer.output;
    const shape = Array.isArray(out) ? null : out.shape;
    if (
      !shape ||
      Array.isArray(out) ||
      !shape.slice(1).every((d): d is number => typeof d === 'number' && d > 0)
    ) {
      skipped.push(layer.name);
      continue;
    }
    const dims = shape.slice(1) as number[];
    const perSample =
      dims.length === 3 ? [dims[2], dims[0], dims[1]] : dims.length === 1 ? dims : null;
    if (!perSample) {
      skipped.push(layer.name);
      continue;
    }
    const config = layer.getConfig() as { activation?: unknown };
    const act =
      typeof config.activation === 'string' && config.activation !== 'linear'
        ? `+${config.activation}`
        : '';
    targets.push({
      name: layer.name,
      kind: `${layer.getClassName()}${act}`,
      shape: perSample,
      output: out,
      savedFor: [],
    });
  }
  return { targets, skipped };
}

/**
 * Fills each target's savedFor from the model's plan as cdma would train it
 * (every layer trainable); leaves them empty when cdma cannot import the model.
 */
function fillSavedFor(model: tfl.LayersModel, targets: Target[]): string | null {
  let plan: ModelPlan;
  let outputs: ReadonlyMap<string, string>;
  try {
    const imp = importLayersModel(model, { freezeTo: 'none' });
    plan = ModelPlan.of(imp.spec);
    outputs = imp.outputs;
  } catch (e) {
    return (e as Error).message;
  }
  const byName = new Map<string, (typeof plan.buffers)[number]>();
  for (const b of plan.buffers) {
    if (b.kind === 'activation') for (const n of b.names) byName.set(n, b);
  }
  const layers = plan.spec.layers;
  for (const t of targets) {
    const specName = outputs.get(t.name);
    const b = specName === undefined ? undefined : byName.get(specName);
    if (!b) continue;
    t.savedFor = b.savers.map((i) => {
      const by = layers[i].name;
      return `${by}:${by === b.ownerName ? 'output' : 'input'}`;
    });
  }
  return null;
}

/** Decodes, fits and scales the images: [count, h, w, c] float32. */
function loadImages(
  o: TfjsStudyOptions,
  h: number,
  w: number,
  c: 1 | 3,
): { data: Float32Array; count: number } {
  requireDir(o.imagesDir, '--images', 'pass a folder of PNG or JPEG images');
  const files = listDir(o.imagesDir, '--images')
    .filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()))
    .slice(0, o.maxImages);
  if (files.length === 0)
    throw new InputFileError(`--images: ${o.imagesDir} holds no .png, .jpg or .jpeg file`);
  const size = h * w * c;
  const data = new Float32Array(files.length * size);
  files.forEach((f, i) => {
    const path = join(o.imagesDir, f);
    const bytes = readBounded(path, { what: 'image', maxBytes: FILE_LIMITS.image });
    const header = readImageHeader(bytes, path);
    const img = decodeImage(bytes, header, c, path);
    const split = { count: 1, pixels: img.pixels, labels: new Uint8Array(1) };
    const one = preprocessDataset(
      { name: f, shape: [c, img.height, img.width], numClasses: 1, train: split, test: split },
      [c, h, w],
      o.preprocessing,
      'resize',
    );
    data.set(one.train.images, i * size);
  });
  return { data, count: files.length };
}

export async function runTfjsStudy(o: TfjsStudyOptions): Promise<StudyOutcome> {
  const log = o.log ?? (() => {});
  if (!(Number.isSafeInteger(o.batch) && o.batch >= 1))
    throw new InvalidArgumentError(`--batch must be a positive integer, got ${o.batch}`);
  const range = o.preprocessing.range;
  if (range === 'mean-std') {
    throw new InvalidArgumentError(
      '--input-range mean-std needs a training split; at inference give lo,hi (e.g. 0,1 or -1,1)',
    );
  }
  const [lo, hi] = range;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo === hi) {
    throw new InvalidArgumentError(`--input-range must be two different numbers, got ${lo},${hi}`);
  }
  await initBackend(o.backend);
  log(`loading ${o.modelPath}`);
  prepareOutputDir(o.out);
  const model = await loadTfjsModel(o.modelPath, { randomInit: o.randomInit });
  if (o.randomInit !== undefined) log(`weights: seeded random (--random-init ${o.randomInit})`);
  const inShape = model.inputs.length === 1 ? model.inputs[0].shape : null;
  if (
    !inShape ||
    inShape.length !== 4 ||
    ![inShape[1], inShape[2], inShape[3]].every((d) => typeof d === 'number' && d > 0) ||
    (inShape[3] !== 1 && inShape[3] !== 3)
  ) {
    throw new InvalidArgumentError(
      `${o.modelPath}: the model must take one image input [batch, height, width, 1 or 3], not [${inShape?.join(', ') ?? '?'}]`,
    );
  }
  const [h, w, c] = [inShape[1] as number, inShape[2] as number, inShape[3] as 1 | 3];
  const { targets, skipped } = targetsOf(model);
  if (targets.length === 0)
    throw new InvalidArgumentError(`${o.modelPath}: no layer has an output the study can measure`);
  if (skipped.length > 0)
    log(`not measured (output is not [batch, C] or [batch, H, W, C]): ${skipped.join(', ')}`);
  const noPlan = fillSavedFor(model, targets);
  if (noPlan !== null)
    log(`no saved-for-backward information (cdma cannot import the model: ${noPlan})`);
  const probe = tfl.model({ inputs: model.inputs, outputs: targets.map((t) => t.output) });
  const images = loadImages(o, h, w, c);
  const batches = Math.ceil(images.count / o.batch);
  log(
    `${targets.length} layers, ${images.count} images of ${h}x${w}x${c} in ${batches} batches of up to ${o.batch}`,
  );

  const name = modelFileName(o.modelPath);
  const mapDir = join(o.out, 'maps', safeFileName(name));
  rmSync(mapDir, { recursive: true, force: true });
  prepareOutputDir(mapDir, 'map folder');
  const drawable = targets.filter((t) => isDrawable(t.shape));
  const drawn = new Set<string>();
  const k = Math.min(o.mapLayers, drawable.length);
  for (let i = 0; i < k; i++)
    drawn.add(drawable[k === 1 ? 0 : Math.round((i * (drawable.length - 1)) / (k - 1))].name);
  const mapBatches = new Set<number>();
  const km = Math.min(o.maps, batches);
  for (let i = 0; i < km; i++)
    mapBatches.add(km === 1 ? 0 : Math.round((i * (batches - 1)) / (km - 1)));

  const measure = {
    zlibLevel: o.zlibLevel,
    zlibSampleImages: o.zlibSampleImages,
    rleParams: { ...RLE_DEFAULTS },
  };
  const service: MeasureService = o.threads
    ? await WorkerMeasureService.start(measure)
    : new InlineMeasureService(measure);
  const acc = new ModelAccumulator(name, o.modelPath, batches);
  const size = h * w * c;
  const t0 = performance.now();
  try {
    for (let b = 0; b < batches; b++) {
      const n = Math.min(o.batch, images.count - b * o.batch);
      const x = tf.tensor4d(images.data.subarray(b * o.batch * size, (b * o.batch + n) * size), [
        n,
        h,
        w,
        c,
      ]);
      const outs = probe.predict(x) as tf.Tensor | tf.Tensor[];
      const list = Array.isArray(outs) ? outs : [outs];
      // data(): every backend has it (webgpu has no synchronous readback).
      const values = await Promise.all(list.map((t) => t.data()));
      const jobs = targets.map((t, i) =>
        service.measure({
          data: (values[i] as Float32Array).slice(),
          batch: n,
          shape: t.shape,
          mapChannels: mapBatches.has(b) && drawn.has(t.name) ? o.mapChannels : 0,
        }),
      );
      tf.dispose([x, ...list]);
      const replies = await Promise.all(jobs);
      const tensors: TensorMeasurement[] = replies.map((r, i) => ({
        layer: targets[i].name,
        kind: targets[i].kind,
        role: 'output',
        shape: targets[i].shape,
        savedFor: targets[i].savedFor,
        ...r.measurement,
      }));
      acc.addStep({ step: b, loss: null, accuracy: null, tensors });
      replies.forEach((r, i) => {
        if (!r.map) return;
        const file = `${safeFileName(targets[i].name)}-${i}-s${b}.png`;
        writeOutput(join(mapDir, file), r.map.png, { what: 'activation map' });
        acc.addMap({
          layer: targets[i].name,
          step: b,
          file: `maps/${basename(mapDir)}/${file}`,
          channels: r.map.channels,
          density: r.map.density,
        });
      });
    }
  } finally {
    await service.close();
    model.dispose();
  }
  acc.addTime((performance.now() - t0) / 1000, 0, service.busyMs / 1000);
  const results: StudyResults = {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    generator: GENERATOR,
    config: {
      mode: 'inference',
      dataset: o.imagesDir,
      every: 1,
      batch: o.batch,
      seed: o.randomInit ?? 0,
      steps: batches,
      lr: 0,
      lrSchedule: 'none',
      warmup: 0,
      momentum: 0,
      weightDecay: 0,
      zlib: { level: o.zlibLevel, sampleImages: o.zlibSampleImages },
      rle: { ...RLE_DEFAULTS },
      backend: o.backend,
    },
    models: [acc.result(batches, 'complete')],
  };
  const resultsPath = join(o.out, 'results.json');
  writeOutput(resultsPath, `${JSON.stringify(results, null, 1)}\n`, {
    what: 'study results',
    inputs: [o.modelPath],
  });
  return { results, interrupted: false, resultsPath };
}
