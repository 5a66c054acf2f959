/**
 * A file-system IO handler for TensorFlow.js Layers models. tfjs in Node
 * without tfjs-node has no file:// handler, so this one reads (and, for
 * tests and tools, writes) the standard format: model.json with the topology
 * and a weights manifest, plus binary weight shards next to it.
 *
 * Nothing read is trusted:
 * - model.json has a size limit and every manifest field is checked (dtype,
 *   shape, quantization, sizes that stay exact integers);
 * - each shard is listed once, is its own file, and resolves (links followed)
 *   inside model.json's folder;
 * - the shards of each weight group are stat'ed before any is read and must
 *   hold exactly the bytes the group's weights need; each is read capped at
 *   that size, and all together at FILE_LIMITS.modelWeights;
 * - a model without weights loads only with an explicit seed (loadTfjsModel),
 *   never with unseeded random weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
// Layers models build their weights on a backend: the cpu one is always there.
import '@tensorflow/tfjs-backend-cpu';
import { realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { InputFileError, InvalidArgumentError } from '../errors.js';
import { explainFsError } from '../io/fs-errors.js';
import { FILE_LIMITS } from '../io/limits.js';
import { readBounded, readJsonBounded } from '../io/read.js';
import { formatBytes } from '../io/sizes.js';
import { prepareOutputDir, writeOutput } from '../io/write.js';
import { fillUniform, hashString, streamKey } from '../random.js';
import { isSafeRelativePath } from './results.js';
import { boundTopology, endBoundedLoad } from './tfjs-bounded-init.js';

/** Largest model.json read. */
export const MAX_MODEL_JSON_BYTES = FILE_LIMITS.modelJson;
/** Largest total weight size read (the wasm heap is 4 GiB). */
export const MAX_WEIGHT_BYTES = FILE_LIMITS.modelWeights;

/** Bytes per element of the dtypes a weight spec may declare. */
const SPEC_DTYPE_SIZE: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };
/** Bytes per element of the stored dtypes of quantized weights. */
const QUANT_DTYPE_SIZE: Readonly<Record<string, number>> = { uint8: 1, uint16: 2, float16: 2 };

const REEXPORT = 'save the model again with TensorFlow.js (model.save or tensorflowjs_converter)';

/** One weight group of a checked manifest. */
interface WeightGroup {
  /** `weightsManifest[i]`, for messages. */
  readonly field: string;
  readonly paths: readonly string[];
  readonly weights: readonly tf.io.WeightsManifestEntry[];
  /** Bytes the group's weights occupy in its shards. */
  readonly bytes: number;
}

/** A checked model.json. */
interface ModelFile {
  readonly path: string;
  /** Artifacts for tfjs: the topology's initializers bounded (tfjs-bounded-init.ts). */
  readonly artifacts: tf.io.ModelArtifacts;
  /** The topology as model.json holds it. */
  readonly topology: unknown;
  readonly groups: readonly WeightGroup[];
  readonly weightCount: number;
}

/** A shard found on disk, before it is read. */
interface Shard {
  readonly name: string;
  readonly real: string;
  readonly size: number;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

function fail(file: string, field: string, problem: string): never {
  throw new InputFileError(`${file}: ${field} ${problem}; ${REEXPORT}`);
}

function checkShape(v: unknown, file: string, field: string): number[] {
  if (!Array.isArray(v)) fail(file, field, `is ${show(v)}, not an array of dimensions`);
  return v.map((d: unknown, i) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      fail(file, `${field}[${i}]`, `is ${show(d)}; expected a non-negative integer`);
    }
    return d;
  });
}

/** Elements times bytes per element, refused once it is no longer an exact integer. */
function byteSize(shape: readonly number[], size: number, file: string, field: string): number {
  let n = size;
  for (const d of shape) {
    if (d !== 0 && n > Number.MAX_SAFE_INTEGER / d) fail(file, field, 'declares too many elements');
    n *= d;
  }
  return n;
}

/** The stored dtype of a quantized weight. */
function checkQuantization(v: unknown, dtype: string, file: string, field: string): string {
  if (!isObject(v)) fail(file, field, `is ${show(v)}, not an object`);
  const q = v.dtype;
  if (typeof q !== 'string' || !Object.hasOwn(QUANT_DTYPE_SIZE, q)) {
    fail(file, `${field}.dtype`, `is ${show(q)}; expected uint8, uint16 or float16`);
  }
  if (q === 'float16' && dtype !== 'float32') {
    fail(file, `${field}.dtype`, `is float16, which only float32 weights may use`);
  }
  if (q !== 'float16') {
    for (const k of ['scale', 'min']) {
      if (typeof v[k] !== 'number' || !Number.isFinite(v[k])) {
        fail(file, `${field}.${k}`, `is ${show(v[k])}; expected a finite number`);
      }
    }
  }
  return q;
}

function checkSpec(
  v: unknown,
  file: string,
  field: string,
): { spec: tf.io.WeightsManifestEntry; bytes: number } {
  if (!isObject(v)) fail(file, field, `is ${show(v)}, not a weight spec object`);
  if (typeof v.name !== 'string' || v.name === '') {
    fail(file, `${field}.name`, `is ${show(v.name)}; expected a weight name`);
  }
  const dtype = v.dtype;
  if (typeof dtype !== 'string' || !Object.hasOwn(SPEC_DTYPE_SIZE, dtype)) {
    fail(file, `${field}.dtype`, `is ${show(dtype)}; expected float32, int32 or bool`);
  }
  const shape = checkShape(v.shape, file, `${field}.shape`);
  const spec: tf.io.WeightsManifestEntry = {
    name: v.name,
    shape,
    dtype: dtype as tf.io.WeightsManifestEntry['dtype'],
  };
  let stored = dtype;
  if (v.quantization !== undefined) {
    stored = checkQuantization(v.quantization, dtype, file, `${field}.quantization`);
    spec.quantization = v.quantization as tf.io.WeightsManifestEntry['quantization'];
  }
  if (v.group !== undefined) {
    if (typeof v.group !== 'string') fail(file, `${field}.group`, `is ${show(v.group)}`);
    spec.group = v.group as tf.io.WeightGroup;
  }
  const size = SPEC_DTYPE_SIZE[stored] ?? QUANT_DTYPE_SIZE[stored];
  return { spec, bytes: byteSize(shape, size, file, `${field}.shape`) };
}

function checkGroup(v: unknown, file: string, field: string, names: Set<string>): WeightGroup {
  if (!isObject(v)) fail(file, field, `is ${show(v)}, not a weight group object`);
  if (!Array.isArray(v.paths)) fail(file, `${field}.paths`, 'is not an array of file names');
  if (!Array.isArray(v.weights)) fail(file, `${field}.weights`, 'is not an array of weight specs');
  const paths = v.paths.map((p: unknown, i) => {
    if (typeof p !== 'string' || !isSafeRelativePath(p)) {
      throw new InputFileError(
        `${file}: ${field}.paths[${i}] weight file ${show(p)} must be a plain relative path next to model.json`,
      );
    }
    return p;
  });
  let bytes = 0;
  const weights = v.weights.map((w: unknown, i) => {
    const checked = checkSpec(w, file, `${field}.weights[${i}]`);
    if (names.has(checked.spec.name)) {
      fail(
        file,
        `${field}.weights[${i}].name`,
        `repeats the weight name ${show(checked.spec.name)}`,
      );
    }
    names.add(checked.spec.name);
    bytes += checked.bytes;
    if (!Number.isSafeInteger(bytes)) fail(file, `${field}.weights`, 'declare too many bytes');
    return checked.spec;
  });
  return { field, paths, weights, bytes };
}

function checkManifest(v: unknown, file: string): WeightGroup[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(file, 'weightsManifest', 'is not an array of weight groups');
  const names = new Set<string>();
  const groups = v.map((g: unknown, i) => checkGroup(g, file, `weightsManifest[${i}]`, names));
  const total = groups.reduce((s, g) => s + g.bytes, 0);
  if (!Number.isSafeInteger(total) || total > MAX_WEIGHT_BYTES) {
    throw new InputFileError(
      `${file}: the weights need ${total} bytes, more than the ${formatBytes(MAX_WEIGHT_BYTES)} (${MAX_WEIGHT_BYTES} bytes) limit for a model's weights`,
    );
  }
  return groups;
}

/** Reads and checks model.json; the artifacts carry no weights yet. */
function readModelFile(path: string): ModelFile {
  const json = readJsonBounded(path, { what: 'tfjs model', maxBytes: MAX_MODEL_JSON_BYTES });
  if (!isObject(json)) {
    throw new InputFileError(`${path} is not a TensorFlow.js model.json (expected an object)`);
  }
  if (json.modelTopology === undefined || json.modelTopology === null) {
    throw new InputFileError(
      `${path} has no modelTopology; pass a TensorFlow.js Layers model.json (not a graph model)`,
    );
  }
  if (!isObject(json.modelTopology)) fail(path, 'modelTopology', 'is not an object');
  const groups = checkManifest(json.weightsManifest, path);
  const elements = groups.reduce(
    (n, g) => n + g.weights.reduce((m, w) => m + w.shape.reduce((p, d) => p * d, 1), 0),
    0,
  );
  // Without weights (--random-init), the topology may allocate up to the weights limit.
  const allowed = elements > 0 ? elements : Math.floor(MAX_WEIGHT_BYTES / 4);
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: boundTopology(
      json.modelTopology,
      path,
      allowed,
    ) as tf.io.ModelArtifacts['modelTopology'],
  };
  for (const k of ['format', 'generatedBy', 'convertedBy'] as const) {
    if (typeof json[k] === 'string') artifacts[k] = json[k];
  }
  if (isObject(json.trainingConfig)) {
    artifacts.trainingConfig = json.trainingConfig as unknown as tf.io.TrainingConfig;
  }
  if (isObject(json.userDefinedMetadata))
    artifacts.userDefinedMetadata =
      json.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'];
  const weightCount = groups.reduce((s, g) => s + g.weights.length, 0);
  return { path, artifacts, topology: json.modelTopology, groups, weightCount };
}

function statShard(real: string, file: string, name: string): Stats {
  let st: Stats;
  try {
    st = statSync(real);
  } catch (e) {
    throw new InputFileError(
      `${file}: cannot read weight file ${show(name)}: ${explainFsError(e)}`,
    );
  }
  if (!st.isFile()) {
    throw new InputFileError(
      `${file}: weight file ${show(name)} is not a regular file; put the shard itself next to model.json`,
    );
  }
  return st;
}

/**
 * Resolves every shard once, inside the model's folder, and checks that each
 * group's shards hold exactly its bytes, before anything is read.
 */
function findShards(model: ModelFile): Shard[][] {
  const file = model.path;
  const dir = dirname(file);
  const realDir = realpathSync(dir);
  const byName = new Set<string>();
  const byFile = new Map<string, string>();
  return model.groups.map((g) => {
    const shards = g.paths.map((name): Shard => {
      if (byName.has(name)) {
        throw new InputFileError(
          `${file}: weightsManifest lists weight file ${show(name)} twice; list each shard once`,
        );
      }
      byName.add(name);
      let real: string;
      try {
        real = realpathSync(join(dir, name));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new InputFileError(
            `${file}: weight file ${show(name)} does not exist; put the model's shards next to model.json`,
          );
        }
        throw new InputFileError(
          `${file}: cannot read weight file ${show(name)}: ${explainFsError(e)}`,
        );
      }
      const rel = relative(realDir, real);
      if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
        throw new InputFileError(
          `${file}: weight file ${show(name)} resolves to ${real}, outside the model's folder ${realDir}; copy the shard into the folder`,
        );
      }
      const st = statShard(real, file, name);
      const key = `${st.dev}:${st.ino}`;
      const other = byFile.get(key);
      if (other !== undefined) {
        throw new InputFileError(
          `${file}: weight files ${show(other)} and ${show(name)} are the same file; each shard must be its own file`,
        );
      }
      byFile.set(key, name);
      return { name, real, size: st.size };
    });
    const held = shards.reduce((s, sh) => s + sh.size, 0);
    if (held !== g.bytes) {
      const why =
        held < g.bytes
          ? 'the files are truncated or do not belong to this model'
          : 'the files have extra bytes or do not belong to this model';
      throw new InputFileError(
        `${file}: the weight files of ${g.field} (${g.paths.join(', ') || 'none'}) hold ${held} bytes but its weights need ${g.bytes}; ${why}`,
      );
    }
    return shards;
  });
}

function ownBuffer(b: Buffer): ArrayBuffer {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) return b.buffer as ArrayBuffer;
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

function readShard(shard: Shard, file: string): ArrayBuffer {
  const bytes = readBounded(shard.real, { what: 'weight file', maxBytes: shard.size });
  if (bytes.length !== shard.size) {
    throw new InputFileError(
      `${file}: weight file ${show(shard.name)} changed while it was being read; try again`,
    );
  }
  return ownBuffer(bytes);
}

/** The model's weights, read as its manifest declares. */
function readWeights(model: ModelFile): tf.io.ModelArtifacts {
  const shards = findShards(model);
  const weightData = shards.flat().map((s) => readShard(s, model.path));
  return {
    ...model.artifacts,
    weightSpecs: model.groups.flatMap((g) => [...g.weights]),
    weightData,
  };
}

/**
 * An IOHandler for `tfl.loadLayersModel(handler)` and `model.save(handler)`.
 * Saving writes `path` (model.json) and one shard `<name>.weights.bin`.
 * Loading a model.json without weights gives tfjs an empty weight list, so
 * its strict loading refuses a model that has weights: use loadTfjsModel
 * to load one with seeded weights.
 */
export function fileIO(path: string): tf.io.IOHandler {
  const dir = dirname(path);
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const model = readModelFile(path);
      if (model.weightCount === 0) {
        return { ...model.artifacts, weightSpecs: [], weightData: new ArrayBuffer(0) };
      }
      return readWeights(model);
    },
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const shard = `${basename(path).replace(/\.json$/i, '')}.weights.bin`;
      const weights =
        artifacts.weightData === undefined
          ? new ArrayBuffer(0)
          : tf.io.concatenateArrayBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[]);
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        weightsManifest: [{ paths: [shard], weights: artifacts.weightSpecs ?? [] }],
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
      };
      prepareOutputDir(dir, 'model folder');
      writeOutput(join(dir, shard), new Uint8Array(weights), { what: 'weight file' });
      writeOutput(path, JSON.stringify(json), { what: 'tfjs model' });
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}

export interface TfjsLoadOptions {
  /**
   * Seed (0..2^32-1) for the weights of a model.json that has none. Without
   * it such a model is an error; with it, a model that has weights is one.
   */
  readonly randomInit?: number;
}

/**
 * The seeded initial value of a weight: float weights of 2 or more
 * dimensions (kernels) are uniform in +-sqrt(6 / (fanIn + fanOut)) (Glorot
 * uniform); 1-dimensional ones are zero (biases, beta, moving mean) except
 * gamma and moving_variance, which are one; other dtypes are zero. Values
 * depend only on the seed, the weight's name and its position in the model.
 */
export function seededWeight(
  name: string,
  index: number,
  shape: readonly number[],
  seed: number,
): Float32Array {
  const n = shape.reduce((p, d) => p * d, 1);
  const out = new Float32Array(n);
  if (shape.length >= 2) {
    const receptive = shape.slice(0, -2).reduce((p, d) => p * d, 1);
    const fanIn = shape[shape.length - 2] * receptive;
    const fanOut = shape[shape.length - 1] * receptive;
    const limit = Math.sqrt(6 / Math.max(1, fanIn + fanOut));
    fillUniform(out, streamKey(seed, hashString(`${index}:${name}`)), -limit, limit);
  } else if (/(^|\/)(gamma|moving_variance)(_\d+)?$/.test(name)) {
    out.fill(1);
  }
  return out;
}

function setSeededWeights(model: tfl.LayersModel, seed: number): void {
  const values = model.weights.map((w, i) => {
    const shape = w.shape as number[];
    const v = seededWeight(w.originalName, i, shape, seed);
    return w.dtype === 'float32' ? tf.tensor(v, shape, 'float32') : tf.zeros(shape, w.dtype);
  });
  try {
    model.setWeights(values);
  } finally {
    tf.dispose(values);
  }
}

async function loadArtifacts(
  path: string,
  artifacts: tf.io.ModelArtifacts,
): Promise<tfl.LayersModel> {
  try {
    return await tfl.loadLayersModel({ load: async () => artifacts });
  } catch (e) {
    if (e instanceof InputFileError) throw e;
    throw new InputFileError(
      `${path}: not a loadable TensorFlow.js Layers model (${(e as Error).message})`,
    );
  } finally {
    endBoundedLoad();
  }
}

/**
 * Loads a Layers model through the same checks as fileIO. A model.json that
 * declares no weights while its layers have some loads only with
 * `randomInit`, its weights then set by seededWeight.
 */
export async function loadTfjsModel(
  path: string,
  opts: TfjsLoadOptions = {},
): Promise<tfl.LayersModel> {
  return (await loadTfjsModelFile(path, opts)).model;
}

/** loadTfjsModel, with the model.json's modelTopology as read (for what tfjs does not keep). */
export async function loadTfjsModelFile(
  path: string,
  opts: TfjsLoadOptions = {},
): Promise<{ model: tfl.LayersModel; topology: unknown }> {
  const file = readModelFile(path);
  endBoundedLoad(); // this read only wants the topology
  const model = await loadChecked(path, opts);
  return { model, topology: file.topology };
}

async function loadChecked(path: string, opts: TfjsLoadOptions): Promise<tfl.LayersModel> {
  const seed = opts.randomInit;
  if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0 && seed <= 0xffffffff)) {
    throw new InvalidArgumentError(
      `--random-init must be an integer from 0 to 4294967295, got ${seed}`,
    );
  }
  const file = readModelFile(path);
  if (file.weightCount > 0) {
    if (seed !== undefined) {
      throw new InvalidArgumentError(
        `--random-init: ${path} has its own weights; drop --random-init to study them`,
      );
    }
    return loadArtifacts(path, readWeights(file));
  }
  const model = await loadArtifacts(path, file.artifacts);
  if (model.weights.length === 0) return model;
  if (seed === undefined) {
    model.dispose();
    throw new InputFileError(
      `${path} has no weights; pass --random-init SEED to study it with seeded random weights`,
    );
  }
  setSeededWeights(model, seed);
  return model;
}
