/**
 * A file-system IO handler for TensorFlow.js Layers models. tfjs in Node
 * without tfjs-node has no file:// handler, so this one reads (and, for
 * tests and tools, writes) the standard format: model.json with the topology
 * and a weights manifest, plus binary weight shards next to it.
 *
 * Nothing read is trusted: model.json and the shards have size limits, shard
 * paths must stay in model.json's folder, and the shards' total size must be
 * exactly what the manifest's weight specs need.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputFileError } from '../errors.js';
import { FILE_LIMITS } from '../io/limits.js';
import { readBounded } from '../io/read.js';
import { isSafeRelativePath } from './results.js';

/** Largest model.json read. */
export const MAX_MODEL_JSON_BYTES = FILE_LIMITS.modelJson;
/** Largest total weight size read (the wasm heap is 4 GiB). */
export const MAX_WEIGHT_BYTES = FILE_LIMITS.modelWeights;

const DTYPE_SIZE: Readonly<Record<string, number>> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** Bytes a weight spec occupies in the shards (quantized weights use their stored dtype). */
function specBytes(spec: tf.io.WeightsManifestEntry, where: string): number {
  if (!Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new InputFileError(`${where}: weight ${String(spec.name)} has a malformed shape`);
  }
  const stored = spec.quantization?.dtype ?? spec.dtype;
  const size = DTYPE_SIZE[stored as string];
  if (size === undefined) {
    throw new InputFileError(
      `${where}: weight ${String(spec.name)} has unsupported dtype ${String(stored)}`,
    );
  }
  const n = spec.shape.reduce((p, d) => p * d, 1);
  if (!Number.isSafeInteger(n * size))
    throw new InputFileError(`${where}: weight ${String(spec.name)} is too large`);
  return n * size;
}

function parseModelJson(bytes: Buffer, path: string): tf.io.ModelJSON {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new InputFileError(
      `${path} is not valid JSON (${(e as Error).message}); pass a TensorFlow.js model.json`,
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InputFileError(`${path} is not a TensorFlow.js model.json (expected an object)`);
  }
  const o = json as Record<string, unknown>;
  if (typeof o.modelTopology !== 'object' || o.modelTopology === null) {
    throw new InputFileError(
      `${path} has no modelTopology; pass a TensorFlow.js Layers model.json`,
    );
  }
  if (o.weightsManifest !== undefined && !Array.isArray(o.weightsManifest)) {
    throw new InputFileError(`${path}: weightsManifest is not an array`);
  }
  return json as tf.io.ModelJSON;
}

function loadShards(
  manifest: tf.io.WeightsManifestConfig,
  dir: string,
  where: string,
): [tf.io.WeightsManifestEntry[], ArrayBuffer] {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const files: string[] = [];
  for (const [g, group] of manifest.entries()) {
    if (
      typeof group !== 'object' ||
      group === null ||
      !Array.isArray(group.paths) ||
      !Array.isArray(group.weights)
    ) {
      throw new InputFileError(`${where}: weightsManifest[${g}] needs paths and weights arrays`);
    }
    for (const p of group.paths) {
      if (typeof p !== 'string' || !isSafeRelativePath(p)) {
        throw new InputFileError(
          `${where}: weight file ${JSON.stringify(p)} must be a plain relative path next to model.json`,
        );
      }
      files.push(p);
    }
    specs.push(...group.weights);
  }
  const needed = specs.reduce((s, spec) => s + specBytes(spec, where), 0);
  if (needed > MAX_WEIGHT_BYTES)
    throw new InputFileError(
      `${where}: weights need ${needed} bytes, more than the ${MAX_WEIGHT_BYTES} allowed`,
    );
  const buffers = files.map((f) =>
    readBounded(join(dir, f), { what: `${where}: weight file`, maxBytes: MAX_WEIGHT_BYTES }),
  );
  const total = buffers.reduce((s, b) => s + b.length, 0);
  if (total !== needed) {
    throw new InputFileError(
      `${where}: weight files hold ${total} bytes but the manifest needs ${needed}; the files are truncated or do not belong to this model`,
    );
  }
  const all = new Uint8Array(total);
  let off = 0;
  for (const b of buffers) {
    all.set(b, off);
    off += b.length;
  }
  return [specs, all.buffer];
}

/**
 * An IOHandler for `tf.loadLayersModel(handler)` and `model.save(handler)`.
 * Saving writes `path` (model.json) and one shard `<name>.weights.bin`.
 */
export function fileIO(path: string): tf.io.IOHandler {
  const dir = dirname(path);
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = parseModelJson(readBounded(path, { what: 'tfjs model', maxBytes: MAX_MODEL_JSON_BYTES }), path);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) =>
        loadShards(manifest, dir, path),
      );
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
      try {
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, shard), new Uint8Array(weights));
        writeFileSync(path, JSON.stringify(json));
      } catch (e) {
        throw new InputFileError(`cannot write ${path}: ${(e as Error).message}`);
      }
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}
