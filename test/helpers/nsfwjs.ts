/**
 * The pretrained Keras-converted networks that the npm package nsfwjs@4.4.0
 * (MIT, a dev dependency) bundles as JavaScript modules (model.json and
 * base64 weight shards), written out as standard TensorFlow.js Layers model
 * folders: model.json plus binary shards.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
/** The package's dist folder (its model files are not in its exports map). */
const DIST = join(dirname(require.resolve('nsfwjs')), '..');

export type NsfwModel = 'mobilenet_v2' | 'inception_v3';

/** Writes the network's model folder into dir; returns the model.json path. */
export function writeNsfwModel(name: NsfwModel, dir: string): string {
  const base = join(DIST, 'models', name);
  const json = require(`${base}/model.min.js`) as {
    modelTopology: unknown;
    weightsManifest: { paths: string[]; weights: unknown[] }[];
  };
  mkdirSync(dir, { recursive: true });
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const b64 = require(`${base}/${p}.min.js`) as string;
      writeFileSync(join(dir, p), Buffer.from(b64, 'base64'));
    }
  }
  const path = join(dir, 'model.json');
  writeFileSync(path, JSON.stringify(json));
  return path;
}
