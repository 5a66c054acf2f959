/**
 * What the worker runs for each reader: the project's own entry points, on
 * the input's folder (or bytes). Loaded only after the allocation guard.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { decompress, inspect } from '../src/codec/api.js';
import { loadRawDataset } from '../src/data/source.js';
import { parseNpy } from '../src/io/npy.js';
import type { Buffer as ModelBuffer, Param } from '../src/nn/param.js';
import { mapImage } from '../src/report/study-report.js';
import { loadProfile } from '../src/sim/profile.js';
import { loadRatioTable, loadStudy } from '../src/sim/ratio-files.js';
import { readCheckpoint } from '../src/study/checkpoint.js';
import { readResults } from '../src/study/results.js';
import { fileIO } from '../src/study/tfjs-io.js';
import type { InputFiles, ReaderName } from './readers.js';
import { checkpointModel, PROFILE_LAYERS, STUDY_MODEL } from './fixtures.js';

export type Runner = (dir: string, input: InputFiles, variant: number) => unknown;

let ckpt: { params: Param[]; buffers: ModelBuffer[] } | undefined;

/** An error raised by tfjs while building a model from artifacts fileIO accepted. */
export class TfjsRejection extends Error {
  override readonly name = 'TfjsRejection';
}

async function loadTfjs(dir: string): Promise<void> {
  const io = fileIO(join(dir, 'model.json'));
  if (io.load === undefined) throw new Error('fileIO has no load');
  const artifacts = await io.load();
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel({ load: async () => artifacts });
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('fuzz guard:')) throw e;
    throw new TfjsRejection(e instanceof Error ? e.message : String(e));
  } finally {
    tf.disposeVariables();
  }
  model.dispose();
}

export const RUNNERS: Readonly<Record<ReaderName, Runner>> = {
  container: (_dir, input) => {
    decompress(input.input);
    return inspect(input.input);
  },
  npy: (_dir, input) => parseNpy(input.input, 'input.npy'),
  idx: (dir, _i, v) => loadRawDataset(`idx:${dir}`, v === 1 ? { limit: 2, testLimit: 1 } : {}),
  'idx-gz': (dir, _i, v) => loadRawDataset(`idx:${dir}`, v === 1 ? { limit: 2, testLimit: 1 } : {}),
  cifar10: (dir, _i, v) => loadRawDataset(`cifar10:${dir}`, v === 1 ? { limit: 2 } : {}),
  png: (dir, _i, v) => loadImages(dir, v),
  jpeg: (dir, _i, v) => loadImages(dir, v),
  tfjs: (dir) => loadTfjs(dir),
  results: (dir) => readResults(join(dir, 'results.json')),
  ratios: (dir) => loadRatioTable(join(dir, 'ratios.json')),
  study: (dir) => loadStudy(join(dir, 'results.json'), STUDY_MODEL),
  profile: (dir, _i, v) =>
    loadProfile(join(dir, 'profile.json'), v === 1 ? new Set(PROFILE_LAYERS) : undefined),
  checkpoint: (dir) => {
    ckpt ??= checkpointModel(0);
    return readCheckpoint(join(dir, 'model.ckpt'), ckpt.params, ckpt.buffers);
  },
  'map-image': (dir) => mapImage(dir, 'm.png'),
};

function loadImages(dir: string, variant: number): unknown {
  if (variant === 1) return loadRawDataset(`images:${dir}`, { target: [3, 8, 8] });
  if (variant === 2) return loadRawDataset(`images:${dir}`, { target: [1, 5, 7], fit: 'pad' });
  return loadRawDataset(`images:${dir}`);
}
