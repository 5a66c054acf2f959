/**
 * Measures each layer's kernel temporaries on the wasm backend: the heap
 * bytes a layer's forward (or backward) writes beyond the tensors it leaves
 * alive. Every layer runs alone on fresh random inputs of its real shapes,
 * with nothing freed below the heap mark, so its temporaries come from the
 * top of the heap where the watermark sees them (src/memory/heap-watermark.ts).
 * scripts/measure-temporaries.ts prints the table docs/MEMORY.md shows, and
 * test/memory/temporaries.test.ts checks the model of src/plan/temporaries.ts
 * against these measurements.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { Executor } from '../nn/executor.js';
import type { Layer } from '../nn/layers/layer.js';
import { toNhwc } from '../nn/layers/layer.js';
import type { ModelSpec } from '../nn/spec.js';
import { ModelPlan } from '../plan/index.js';
import { savesFor } from '../plan/graph.js';
import { armHeapMark, HeapTracker, readHeapMark, releaseHeapMark } from './heap-watermark.js';
import { layerTemporaries } from '../plan/temporaries.js';

export interface LayerTemporaries {
  readonly layer: string;
  readonly kind: string;
  readonly phase: 'forward' | 'backward';
  /** Bytes of the layer's inputs, output and parameters at this batch. */
  readonly inputBytes: number;
  readonly outputBytes: number;
  readonly paramBytes: number;
  /** Heap bytes written beyond the tensors left alive (the kernels' transient peak). */
  readonly measuredBytes: number;
  /** What the model of src/plan/temporaries.ts predicts. */
  readonly modelBytes: number;
}

const F32 = 4;

/** Measures every layer of `spec` at `batch`, forward and (where the backward pass visits it) backward. */
export function measureTemporaries(spec: ModelSpec, batch: number): LayerTemporaries[] {
  if (tf.getBackend() !== 'wasm') throw new Error('measureTemporaries needs the wasm backend');
  const plan = ModelPlan.of(spec);
  const { analysis: a, graph: g } = plan;
  const backend = tf.backend();
  const exec = Executor.create(spec, { seed: 1 });
  // The executor's layers are private; the probe runs them one by one.
  const layers = (exec as unknown as { layers: readonly Layer[] }).layers;
  const tracker = new HeapTracker(backend);
  const out: LayerTemporaries[] = [];
  try {
    const bytesOf = (j: number) => a.layers[j].outputElements * batch * F32;
    let largest = 0;
    for (let j = 0; j < a.layers.length; j++) largest = Math.max(largest, bytesOf(j));
    // One contiguous region for every measurement: a heap that grows later
    // starts a new segment and leaves the old top as a hole below the mark.
    const region = 40 * largest + (64 << 20);
    const pre = armHeapMark(backend, region, 0);
    if (!pre) throw new Error(`the heap cannot hold ${region} bytes for the measurement`);
    releaseHeapMark(backend, pre);
    const labels = tf.tensor1d(
      Int32Array.from({ length: batch }, (_, k) => k % spec.numClasses),
      'int32',
    );
    const ctx = { training: true, seed: 1, step: 0, labels };
    for (let i = 1; i < a.layers.length; i++) {
      const l = spec.layers[i];
      const layer = layers[i];
      const inputs = g.inputs[i].map((j) =>
        tf.randomNormal([batch, ...toNhwc(a.layers[j].outputShape)], 0, 1, 'float32', i),
      );
      const inputBytes = g.inputs[i].reduce((s, j) => s + bytesOf(j), 0);
      const outputBytes = bytesOf(i);
      const paramBytes = a.layers[i].params * F32;
      const held: Tensor[] = [...inputs];
      const measure = (phase: 'forward' | 'backward', run: () => Tensor[]): void => {
        let span = 24 * (inputBytes + outputBytes) + (16 << 20);
        for (;;) {
          const mark = armHeapMark(backend, span, span);
          if (!mark) throw new Error(`the heap cannot hold ${span} bytes for the measurement`);
          const results = run();
          const r = readHeapMark(backend, mark);
          releaseHeapMark(backend, mark);
          const alive = tracker.aliveAbove(mark.base);

          if (r.top >= mark.end - 64 && !r.grew) {
            for (const t of results) t.dispose();
            span *= 4;
            continue;
          }
          held.push(...results);
          out.push({
            layer: l.name,
            kind: l.kind,
            phase,
            inputBytes,
            outputBytes,
            paramBytes,
            measuredBytes: Math.max(0, r.top - mark.base - alive),
            modelBytes: layerTemporaries(plan, i, phase, batch),
          });
          return;
        }
      };
      let fwd: ReturnType<Layer['forward']> | undefined;
      measure('forward', () => {
        fwd = layer.forward(inputs, ctx);
        return [fwd.output, fwd.mask, fwd.loss, fwd.correct, ...(fwd.state ?? [])].filter(
          (t): t is Tensor => t !== undefined,
        );
      });
      if (g.needsBackward[i] && fwd) {
        const f = fwd;
        const last = i === a.layers.length - 1;
        const dy = last ? null : tf.randomNormal(f.output.shape, 0, 1, 'float32', i + 1);
        if (dy) held.push(dy);
        const saves = savesFor(l.kind);
        const saved = {
          input: saves.includes('input') ? inputs[0] : undefined,
          inputs: saves.includes('input') ? inputs : undefined,
          output: saves.includes('output') ? f.output : undefined,
          mask: saves.includes('mask') ? f.mask : undefined,
        };
        measure('backward', () => {
          const r = layer.backward({
            dy,
            saved,
            state: f.state ?? [],
            needInputGrad: g.needInputGrad[i],
            labels,
          });
          return [...r.inputGrads.filter((t): t is Tensor => t !== null), ...r.paramGrads];
        });
      }
      for (const t of held) t.dispose();
    }
    labels.dispose();
  } finally {
    tracker.dispose();
    exec.dispose();
  }
  return out;
}
