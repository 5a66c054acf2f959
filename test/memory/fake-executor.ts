/**
 * A stand-in for the executor that drives a SavedTensorStore through the
 * calls a training step makes (hooks, pack, unpack, release) on a model
 * spec, with plain tfjs tensors and no real math: each layer's output is
 * seeded random data (ReLU outputs sparse, dropout masks 0/2), and the
 * backward pass checks that every unpacked tensor is bit-identical to what
 * was packed. Used to test the memory manager without the real executor.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SAVED_FOR_BACKWARD, type ModelSpec } from '../../src/nn/spec.js';
import type { SavedHandle, SavedTensorStore } from '../../src/nn/store.js';
import { analyzeModel } from '../../src/nn/shapes.js';
import { DeviceMeter } from '../../src/nn/device-meter.js';

export interface FakeStepResult {
  /** Largest device bytes (distinct buffers, as the executor counts them) seen during the step. */
  readonly peakBytes: number;
  /** Tensors left over after the step (0: nothing leaked). */
  readonly leakedTensors: number;
  readonly checkedTensors: number;
}

function shapeOf(batch: number, s: readonly number[]): number[] {
  // NHWC like the executor: [C,H,W] -> [N,H,W,C]; [C] -> [N,C].
  return s.length === 3 ? [batch, s[1], s[2], s[0]] : [batch, ...s];
}

/** Runs one fake training step of `spec` at `batch` through `store`. */
export async function fakeStep(
  spec: ModelSpec,
  batch: number,
  store: SavedTensorStore,
  step: number,
  seed = 1,
): Promise<FakeStepResult> {
  const a = analyzeModel(spec);
  const L = spec.layers.length;
  const index = new Map(spec.layers.map((l, i) => [l.name, i]));
  const lastConsumer = new Array<number>(L).fill(-1);
  spec.layers.forEach((l, i) => l.inputs.forEach((n) => (lastConsumer[index.get(n)!] = i)));
  const before = tf.memory().numTensors;
  const meter = new DeviceMeter(tf.backend(), [], []);
  let peak = 0;
  const sample = () => (peak = Math.max(peak, meter.current()));
  const outputs = new Map<number, tf.Tensor>();
  const saved: { h: SavedHandle; expect: Uint8Array }[][] = spec.layers.map(() => []);
  let checked = 0;

  await store.beginStep?.(step);
  for (let i = 0; i < L; i++) {
    const l = spec.layers[i];
    await store.beginForward?.(i);
    const shape = shapeOf(batch, a.layers[i].outputShape);
    let out: tf.Tensor;
    if (l.kind === 'flatten') {
      out = tf.reshape(outputs.get(index.get(l.inputs[0])!)!, shape);
    } else {
      const r = tf.randomNormal(shape, 0, 1, 'float32', seed * 1000 + step * 100 + i);
      out = l.kind === 'relu' ? tf.relu(r) : r;
      if (out !== r) r.dispose();
    }
    outputs.set(i, out);
    meter.track(out);
    sample();
    for (const role of SAVED_FOR_BACKWARD[l.kind]) {
      let t: tf.Tensor;
      if (role === 'output') t = out;
      else if (role === 'input') t = outputs.get(index.get(l.inputs[0])!)!;
      else {
        t = tf.tidy(() =>
          tf.mul(
            tf.cast(
              tf.greater(tf.randomUniform(out.shape, 0, 1, 'float32', seed + i), 0.5),
              'float32',
            ),
            2,
          ),
        );
        meter.track(t);
        outputs.set(-1 - i, t); // held by the layer until pack took its reference
      }
      const expect = new Uint8Array((t.dataSync() as Float32Array).slice().buffer);
      const h = store.pack(tf.reshape(t, t.shape), {
        layer: l.name,
        layerIndex: i,
        kind: l.kind,
        role,
      });
      saved[i].push({ h, expect });
      if (role === 'mask') {
        t.dispose();
        outputs.delete(-1 - i);
      }
      sample();
    }
    // Free forward outputs no later layer reads.
    for (const n of l.inputs) {
      const j = index.get(n)!;
      if (lastConsumer[j] === i) {
        outputs.get(j)?.dispose();
        outputs.delete(j);
      }
    }
    await store.endForward?.(i);
    sample();
  }
  for (const t of outputs.values()) t.dispose();
  outputs.clear();
  for (let i = L - 1; i >= 0; i--) {
    await store.beginBackward?.(i);
    for (const { h, expect } of saved[i]) {
      const t = await store.unpack(h);
      meter.track(t);
      sample();
      const got = new Uint8Array((t.dataSync() as Float32Array).slice().buffer);
      if (got.length !== expect.length || !got.every((b, k) => b === expect[k])) {
        throw new Error(
          `layer ${spec.layers[i].name}: unpacked tensor differs from the packed one`,
        );
      }
      checked++;
      t.dispose();
    }
    for (const { h } of saved[i]) store.release(h);
    await store.endBackward?.(i);
    sample();
  }
  await store.endStep?.(step);
  return {
    peakBytes: peak,
    leakedTensors: tf.memory().numTensors - before,
    checkedTensors: checked,
  };
}

/** A store that keeps everything on the device (like the executor's default). */
export class KeepAllStore implements SavedTensorStore {
  readonly #held = new Map<number, tf.Tensor>();
  #next = 1;
  pack(t: tf.Tensor, info: SavedHandle['info']): SavedHandle {
    const id = this.#next++;
    this.#held.set(id, t);
    return { id, info, shape: t.shape, dtype: t.dtype, bytes: t.size * 4 };
  }
  unpack(h: SavedHandle): tf.Tensor {
    return tf.reshape(this.#held.get(h.id)!, [...h.shape]);
  }
  release(h: SavedHandle): void {
    this.#held.get(h.id)?.dispose();
    this.#held.delete(h.id);
  }
}
