/**
 * Writes an imported model back as a TensorFlow.js Layers model, with the
 * weights the executor holds now: the original topology (re-read from its
 * model.json), the classifier head rebuilt at its new size when it was
 * replaced, every layer's `trainable` flag as it was trained, all weights
 * float32 in one shard. tfl.loadLayersModel reads the result.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
// Layers models build their weights on a backend: the cpu one is always there.
import '@tensorflow/tfjs-backend-cpu';
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import { prepareOutputDir } from '../io/write.js';
import type { Executor } from '../nn/executor.js';
import { fileIO, loadTfjsModel } from '../study/tfjs-io.js';
import type { ImportedModel } from './import.js';

type AnyLayer = tfl.layers.Layer;

/** A layer by name, looking inside nested models too. */
function findLayer(model: tfl.LayersModel, name: string): AnyLayer | undefined {
  for (const l of model.layers) {
    if (l.name === name) return l;
    if (l instanceof tfl.LayersModel) {
      const inner = findLayer(l, name);
      if (inner) return inner;
    }
  }
  return undefined;
}

/** Every layer, nested models' included. */
function allLayers(model: tfl.LayersModel): AnyLayer[] {
  return model.layers.flatMap((l) => (l instanceof tfl.LayersModel ? [l, ...allLayers(l)] : [l]));
}

/** The executor's current values by parameter or buffer name. */
function executorValues(exec: Executor): Map<string, tf.Tensor> {
  return new Map([...exec.params, ...exec.buffers].map((p) => [p.name, p.value as tf.Tensor]));
}

/**
 * Saves `imported` (loaded from `modelPath`) with the executor's weights as
 * DIR/model.json and DIR/model.weights.bin. Returns the model.json path.
 */
export async function saveImportedModel(
  modelPath: string,
  imported: ImportedModel,
  exec: Executor,
  dir: string,
): Promise<string> {
  prepareOutputDir(dir, '--save folder');
  const original = await loadTfjsModel(modelPath);
  try {
    let model = original;
    const head = imported.head;
    if (head?.replaced) {
      const old = original.layers.find((l) => l.name === head.layer);
      if (!old) {
        throw new InvalidArgumentError(
          `--save: the replaced head '${head.layer}' is inside a nested model, which cdma cannot rebuild; save without --classes`,
        );
      }
      const cfg = old.getConfig() as { useBias?: boolean };
      const dense = tfl.layers.dense({
        units: head.units,
        activation: imported.outputActivation === 'softmax' ? 'softmax' : 'linear',
        useBias: cfg.useBias !== false,
        name: head.layer,
      });
      const out = dense.apply(old.input as tfl.SymbolicTensor) as tfl.SymbolicTensor;
      model = tfl.model({ inputs: original.inputs, outputs: out, name: original.name });
    }
    const values = executorValues(exec);
    const byLayer = new Map<string, Map<number, string>>();
    for (const k of imported.links) {
      const m = byLayer.get(k.layer) ?? new Map<number, string>();
      m.set(k.index, k.target);
      byLayer.set(k.layer, m);
    }
    if (head?.replaced) {
      const m = new Map<number, string>([[0, `${head.layer}/weight`]]);
      if (findLayer(model, head.layer)?.weights.length === 2) m.set(1, `${head.layer}/bias`);
      byLayer.set(head.layer, m);
    }
    for (const [name, targets] of byLayer) {
      const layer = findLayer(model, name);
      if (!layer) throw new Error(`--save: layer ${name} is not in the model`);
      const ws = layer.weights.map((w, i) => {
        const target = targets.get(i);
        const v = target === undefined ? undefined : values.get(target);
        if (!v) throw new Error(`--save: no trained value for ${w.originalName}`);
        return tf.reshape(v, w.shape as number[]);
      });
      layer.setWeights(ws);
      tf.dispose(ws);
    }
    const frozen = new Set(imported.frozen);
    for (const l of allLayers(model)) {
      if (!(l instanceof tfl.LayersModel)) l.trainable = !frozen.has(l.name);
    }
    const path = join(dir, 'model.json');
    await model.save(fileIO(path));
    return path;
  } finally {
    original.dispose();
  }
}
