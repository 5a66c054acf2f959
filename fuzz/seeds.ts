/**
 * Seeds: small valid inputs of every reader, made at start by the project's
 * own writers (compress, encodeNpy, writeCheckpoint, the study aggregator,
 * renderActivationMap, tfjs model.save through fileIO) or, for formats cdma
 * only reads, by pngjs, jpeg-js and a few lines of IDX and CIFAR-10 layout.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tfl from '@tensorflow/tfjs-layers';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { compress } from '../src/codec/api.js';
import type { CompressOptions } from '../src/codec/api.js';
import { encodeNpy, type NpyDType } from '../src/io/npy.js';
import { ModelAccumulator, type TensorMeasurement } from '../src/study/aggregate.js';
import { writeCheckpoint } from '../src/study/checkpoint.js';
import { renderActivationMap } from '../src/study/maps.js';
import { TensorMeasurer } from '../src/study/measure.js';
import { GENERATOR } from '../src/study/options.js';
import { RESULTS_FORMAT, RESULTS_VERSION, type StudyResults } from '../src/study/results.js';
import { fileIO } from '../src/study/tfjs-io.js';
import { checkpointModel, PROFILE_LAYERS } from './fixtures.js';
import type { InputFiles, ReaderName } from './readers.js';
import { Rng } from './rng.js';

/** A valid input, with the parsed form of its JSON files (for structure-aware mutation). */
export interface Seed {
  readonly files: InputFiles;
  readonly json: Readonly<Record<string, unknown>>;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function jsonSeed(name: string, value: unknown, indent?: number): Seed {
  return { files: { [name]: text(JSON.stringify(value, null, indent)) }, json: { [name]: value } };
}

function bytesSeed(name: string, bytes: Uint8Array): Seed {
  return { files: { [name]: bytes }, json: {} };
}

/** Sparse values like post-ReLU activations. */
function activations(rng: Rng, n: number, density: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) if (rng.chance(density)) out[i] = (rng.u32() / 2 ** 32) * 4;
  return out;
}

function f16Bits(rng: Rng, n: number): Uint16Array {
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.chance(0.4) ? 0x3c00 + rng.below(0x400) : 0;
  return out;
}

function containerSeeds(rng: Rng): Seed[] {
  const f32 = activations(rng, 2 * 3 * 4 * 5, 0.4);
  const cases: [Float32Array | Uint16Array, CompressOptions][] = [
    [f32, { codec: 'zvc' }],
    [
      f32,
      { codec: 'zvc', shape: [2, 3, 4, 5], layout: 'nchw', codecLayout: 'nhwc', chunkBytes: 128 },
    ],
    [f32, { codec: 'rle', chunkBytes: 256 }],
    [
      f32,
      {
        codec: 'rle',
        params: { runBits: 4, litBits: 4 },
        shape: [2, 3, 4, 5],
        layout: 'nhwc',
        codecLayout: 'chwn',
      },
    ],
    [f32, { codec: 'zlib', params: { level: 9 }, chunkBytes: 128 }],
    [f32, { codec: 'none', shape: [120] }],
    [f16Bits(rng, 96), { codec: 'zvc', dtype: 'float16', chunkBytes: 64 }],
    [f16Bits(rng, 64), { codec: 'rle', dtype: 'bfloat16' }],
    [new Float32Array(0), { codec: 'zvc' }],
    [new Float32Array(1), { codec: 'zlib', shape: [] }],
  ];
  return cases.map(([data, o]) => bytesSeed('input', compress(data, o)));
}

function npySeeds(rng: Rng): Seed[] {
  const arr = (dtype: NpyDType, shape: number[]) => {
    const n = shape.reduce((a, d) => a * d, 1);
    const bytes = new Uint8Array(n * (dtype === 'float32' ? 4 : 2));
    for (let i = 0; i < bytes.length; i++) bytes[i] = rng.below(256);
    return encodeNpy({ dtype, shape, data: bytes });
  };
  const v1 = arr('float32', [2, 3, 4]);
  // The same array as format 2.0 (u32 header length) and 3.0 (UTF-8 header).
  const v2 = (major: number) => {
    const headerLen = v1[8] | (v1[9] << 8);
    const out = new Uint8Array(v1.length + 2);
    out.set(v1.subarray(0, 8));
    out[6] = major;
    new DataView(out.buffer).setUint32(8, headerLen, true);
    out.set(v1.subarray(10), 12);
    return out;
  };
  return [
    arr('float32', [2, 3, 4]),
    arr('float16', [5]),
    arr('uint16', [2, 2, 2, 2]),
    arr('float32', []),
    arr('float32', [0, 3]),
    v2(2),
    v2(3),
  ].map((b) => bytesSeed('input', b));
}

function idxBytes(dims: readonly number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const v = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

function idxSet(
  rng: Rng,
  count: number,
  testCount: number,
  h: number,
  w: number,
  c: number,
): Record<string, Uint8Array> {
  const split = (n: number) => {
    const dims = c === 1 ? [n, h, w] : [n, h, w, c];
    const px = new Uint8Array(n * h * w * c);
    for (let i = 0; i < px.length; i++) px[i] = rng.below(256);
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
    return [idxBytes(dims, px), idxBytes([n], labels)];
  };
  const [ti, tl] = split(count);
  const [si, sl] = split(testCount);
  return {
    'train-images-idx3-ubyte': ti,
    'train-labels-idx1-ubyte': tl,
    't10k-images-idx3-ubyte': si,
    't10k-labels-idx1-ubyte': sl,
  };
}

function idxSeeds(rng: Rng, gz: boolean): Seed[] {
  const sets = [idxSet(rng, 6, 3, 4, 4, 1), idxSet(rng, 4, 2, 3, 5, 3), idxSet(rng, 3, 3, 1, 1, 1)];
  return sets.map((files) => {
    if (!gz) return { files, json: {} };
    const out: Record<string, Uint8Array> = {};
    for (const [name, b] of Object.entries(files))
      out[`${name}.gz`] = gzipSync(b, { level: rng.range(1, 9) });
    return { files: out, json: {} };
  });
}

function cifarSeeds(rng: Rng): Seed[] {
  const batch = (n: number) => {
    const out = new Uint8Array(n * 3073);
    for (let r = 0; r < n; r++) {
      out[r * 3073] = rng.below(10);
      for (let i = 1; i < 3073; i++) out[r * 3073 + i] = (r * 17 + i * 3) & 0xff;
    }
    return out;
  };
  const meta = text('airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n');
  return [
    {
      files: {
        'data_batch_1.bin': batch(3),
        'data_batch_2.bin': batch(1),
        'test_batch.bin': batch(2),
        'batches.meta.txt': meta,
      },
      json: {},
    },
    { files: { 'data_batch_1.bin': batch(2), 'test_batch.bin': batch(1) }, json: {} },
  ];
}

function pngSeeds(rng: Rng, name: string): Seed[] {
  const make = (
    width: number,
    height: number,
    colorType: 0 | 2 | 4 | 6,
    bitDepth: 8 | 16,
    interlace = false,
  ) => {
    const png = new PNG({
      width,
      height,
      colorType,
      inputColorType: 6,
      bitDepth,
      inputHasAlpha: true,
    });
    for (let i = 0; i < png.data.length; i++) png.data[i] = i % 4 === 3 ? 255 : rng.below(256);
    return PNG.sync.write(png, {
      colorType,
      bitDepth,
      inputColorType: 6,
      inputHasAlpha: true,
      interlace,
    } as never);
  };
  return [
    make(5, 4, 6, 8),
    make(3, 3, 2, 8),
    make(4, 2, 0, 8),
    make(2, 2, 4, 16),
    make(6, 5, 2, 16),
    make(1, 1, 6, 8),
  ].map((b) => bytesSeed(name, b));
}

function jpegSeeds(rng: Rng): Seed[] {
  const make = (width: number, height: number, quality: number) => {
    const data = Buffer.alloc(width * height * 4);
    for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : rng.below(256);
    return new Uint8Array(jpeg.encode({ data, width, height }, quality).data);
  };
  return [make(5, 4, 90), make(8, 8, 50), make(17, 9, 100), make(1, 1, 75)].map((b) =>
    bytesSeed('image.jpg', b),
  );
}

async function tfjsSeeds(dir: string): Promise<Seed[]> {
  const models: tfl.Sequential[] = [];
  const dense = tfl.sequential();
  dense.add(tfl.layers.dense({ inputShape: [4], units: 3, activation: 'relu' }));
  dense.add(tfl.layers.dense({ units: 2, activation: 'softmax' }));
  models.push(dense);
  const conv = tfl.sequential();
  conv.add(
    tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: 'relu' }),
  );
  conv.add(tfl.layers.batchNormalization());
  conv.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  conv.add(tfl.layers.flatten());
  conv.add(tfl.layers.dense({ units: 3 }));
  models.push(conv);
  const seeds: Seed[] = [];
  for (const [i, m] of models.entries()) {
    const sub = join(dir, `tfjs-${i}`);
    mkdirSync(sub, { recursive: true });
    await m.save(fileIO(join(sub, 'model.json')));
    m.dispose();
    const json = readFileSync(join(sub, 'model.json'));
    seeds.push({
      files: {
        'model.json': new Uint8Array(json),
        'model.weights.bin': new Uint8Array(readFileSync(join(sub, 'model.weights.bin'))),
      },
      json: { 'model.json': JSON.parse(json.toString('utf8')) },
    });
  }
  return seeds;
}

function measurements(rng: Rng, measurer: TensorMeasurer): TensorMeasurement[] {
  const one = (
    layer: string,
    kind: string,
    shape: number[],
    role: 'output' | 'mask' = 'output',
  ) => {
    const batch = 2;
    const data = activations(
      rng,
      batch * shape.reduce((a, d) => a * d, 1),
      0.2 + rng.below(60) / 100,
    );
    return {
      layer,
      kind,
      role,
      shape,
      savedFor: [`${layer}:output`],
      ...measurer.measure(data, batch, shape),
    };
  };
  return [
    one('relu1', 'relu', [4, 6, 6]),
    one('pool1', 'maxpool', [4, 3, 3]),
    one('fc1', 'dense', [10]),
    one('drop1', 'dropout', [10], 'mask'),
  ];
}

function studyResults(rng: Rng, steps: readonly number[], maps: boolean): StudyResults {
  const measurer = new TensorMeasurer({ zlibLevel: 6, zlibSampleImages: 1 });
  const acc = new ModelAccumulator('net-small', 'net', 40);
  for (const step of steps) {
    acc.addStep({
      step,
      loss: 2 - step / 40,
      accuracy: step / 40,
      tensors: measurements(rng, measurer),
    });
    if (maps)
      acc.addMap({
        layer: 'relu1',
        step,
        file: `maps/net-small/relu1-s${step}.png`,
        channels: 4,
        density: 0.3,
      });
  }
  acc.addTime(12.5, 0.4, 0.2);
  return {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    generator: GENERATOR,
    config: {
      mode: 'training',
      dataset: 'mnist',
      every: 10,
      batch: 2,
      seed: 1,
      steps: 40,
      lr: 0.01,
      lrSchedule: 'constant',
      warmup: 0,
      momentum: 0.9,
      weightDecay: 0.0005,
      zlib: { level: 6, sampleImages: 1 },
      rle: { runBits: 8, litBits: 8 },
      backend: 'cpu',
    },
    models: [
      acc.result(
        steps.length === 0 ? 0 : steps[steps.length - 1] + 1,
        steps.length === 3 ? 'complete' : 'running',
      ),
    ],
  };
}

function resultsSeeds(rng: Rng, name: string): Seed[] {
  return [
    jsonSeed(name, studyResults(rng, [0, 10, 20], true), 1),
    jsonSeed(name, studyResults(rng, [5], false)),
    jsonSeed(name, studyResults(rng, [], false)),
  ];
}

function studySeeds(rng: Rng): Seed[] {
  return [
    ...resultsSeeds(rng, 'results.json'),
    jsonSeed('results.json', {
      models: [
        { model: 'other-small', layers: [] },
        {
          model: 'net-small',
          requested: 'net',
          layers: [
            {
              layer: 'relu1',
              role: 'output',
              density: 0.25,
              ratios: { zvc: { nchw: 3.5 }, rle: { nhwc: 1.5 }, zlib: { chwn: 4 } },
            },
            { layer: 'drop1', role: 'mask', density: 0.5 },
          ],
        },
      ],
    }),
  ];
}

function ratioSeeds(): Seed[] {
  return [
    jsonSeed('ratios.json', { default: 2.6, layers: { conv1: 3.2, relu1: 1.7, 'drop6:mask': 2 } }),
    jsonSeed('ratios.json', { layers: { fc1: 1 / 64, fc2: 1e6 } }),
  ];
}

function profileSeeds(): Seed[] {
  return [
    jsonSeed('profile.json', {
      batch: 128,
      efficiency: { conv2d: 1.1, dense: 0.7, memory: 0.85 },
      layers: Object.fromEntries(
        PROFILE_LAYERS.map((l, i) => [l, { forwardMs: 1.5 + i, backwardMs: 3 + i }]),
      ),
      gpu: 'titanx',
      note: 'measured',
    }),
    jsonSeed('profile.json', { efficiency: { relu: 0.5 } }),
  ];
}

async function checkpointSeeds(dir: string): Promise<Seed[]> {
  const path = join(dir, 'seed.ckpt');
  const seeds: Seed[] = [];
  for (const s of [0, 3]) {
    const m = checkpointModel(s);
    await writeCheckpoint(path, { model: 'net-small', step: 10 + s, seed: s }, m.params, m.buffers);
    seeds.push(bytesSeed('model.ckpt', new Uint8Array(readFileSync(path))));
  }
  return seeds;
}

function mapSeeds(rng: Rng): Seed[] {
  return [
    [4, 6, 6],
    [1, 3, 2],
  ].map((shape) => {
    const n = shape.reduce((a, d) => a * d, 1);
    return bytesSeed('m.png', renderActivationMap(activations(rng, 2 * n, 0.5), shape, 1, 4).png);
  });
}

/** Every reader's seeds; `dir` is a scratch folder for the writers that need one. */
export async function buildSeeds(
  readers: readonly ReaderName[],
  dir: string,
  seed: number,
): Promise<Map<ReaderName, Seed[]>> {
  const out = new Map<ReaderName, Seed[]>();
  for (const r of readers) {
    const rng = new Rng(seed, 0x5eed + r.length * 31 + r.charCodeAt(0));
    const seeds = await (async (): Promise<Seed[]> => {
      switch (r) {
        case 'container':
          return containerSeeds(rng);
        case 'npy':
          return npySeeds(rng);
        case 'idx':
          return idxSeeds(rng, false);
        case 'idx-gz':
          return idxSeeds(rng, true);
        case 'cifar10':
          return cifarSeeds(rng);
        case 'png':
          return pngSeeds(rng, 'image.png');
        case 'jpeg':
          return jpegSeeds(rng);
        case 'tfjs':
          return tfjsSeeds(dir);
        case 'results':
          return resultsSeeds(rng, 'results.json');
        case 'ratios':
          return ratioSeeds();
        case 'study':
          return studySeeds(rng);
        case 'profile':
          return profileSeeds();
        case 'checkpoint':
          return checkpointSeeds(dir);
        case 'map-image':
          return mapSeeds(rng);
      }
    })();
    out.set(r, seeds);
  }
  return out;
}
