/**
 * The tensors the schedule moves and the memory model counts: the model
 * plan's saved buffers (src/plan/buffers.ts), with what the performance
 * model adds to each: where vDNN's offload overlaps the forward pass, when
 * the backward pass needs it, how sparse it is.
 */
import { layerKind } from '../nn/layers/registry.js';
import type { ModelAnalysis } from '../nn/shapes.js';
import type { LayerSpec } from '../nn/spec.js';
import type { Graph, ModelPlan, SavedBuffer } from '../plan/index.js';

export interface SimTensor extends SavedBuffer {
  /** Forward step whose execution the offload overlaps (first reader; for a mask, the next layer). */
  readonly offloadLayer: number;
  /** Backward step that needs it first: the largest index among savedBy. */
  readonly firstBackwardUse: number;
  /** Backward step that needs it last: the smallest index among savedBy (freed after it). */
  readonly lastBackwardUse: number;
  /** Density relative to the post-ReLU density d: 0 for dense tensors (density 1), else a factor. */
  readonly sparseFactor: number;
  /**
   * Some layer keeps it as its input X for the backward pass (a convolution,
   * dense, pooling, LRN or batch-norm input). vDNN offloads only such X
   * (arXiv 1602.08124, section III-B); a tensor kept only as a layer's own
   * output (a ReLU output feeding a concat, a pooling output) or a dropout
   * mask stays on the device.
   */
  readonly inputX: boolean;
  /** vDNN can offload it: an input X, not the loss layer's output (needed the moment the backward pass starts). */
  readonly offloadable: boolean;
}

/**
 * Density of each layer's output relative to the post-ReLU density (0 for
 * dense), by its kind's density rule (src/nn/layers: LayerDescriptor.density)
 * from its inputs' factors: ReLU outputs are 1x; layers that keep zeros where
 * their inputs are zero and whose inputs are all post-ReLU inherit it (max/avg
 * pooling, LRN, concat, flatten, global pooling: an approximation, pooling
 * raises density a little); dropout multiplies by its keep probability;
 * everything else (the image, conv, dense, batchnorm, add outputs) is dense.
 */
function sparseFactors(a: ModelAnalysis, g: Graph): number[] {
  const f: number[] = [];
  a.spec.layers.forEach((l: LayerSpec, i) => {
    const ins = g.inputs[i].map((j) => f[j]);
    f[i] = layerKind(l.kind, l.name).density(l, ins);
  });
  return f;
}

export function simTensors(plan: ModelPlan): SimTensor[] {
  const last = plan.layerCount - 1;
  const g = plan.graph;
  const layers = plan.spec.layers;
  const factors = sparseFactors(plan.analysis, g);
  // Layers that keep each owner's bytes as their input X.
  const xSavers = new Map<number, number[]>();
  layers.forEach((l, i) => {
    if (!layerKind(l.kind, l.name).saves.includes('input')) return;
    for (const j of g.inputs[i]) {
      const list = xSavers.get(g.owner[j]) ?? [];
      list.push(i);
      xSavers.set(g.owner[j], list);
    }
  });
  return plan.buffers.map((b) => {
    const savers = b.kind === 'activation' ? (xSavers.get(b.owner) ?? []) : [];
    const inputX = savers.length > 0;
    return {
      ...b,
      // vDNN offloads X of layer n while layer n runs forward: the first layer keeping it as X.
      offloadLayer:
        b.kind === 'mask'
          ? Math.min(b.owner + 1, last)
          : inputX
            ? Math.min(...savers)
            : b.readers.length > 0
              ? b.readers[0]
              : b.owner,
      firstBackwardUse: b.savedBy[b.savedBy.length - 1],
      lastBackwardUse: b.savedBy[0],
      sparseFactor: b.kind === 'mask' ? 0 : factors[b.owner],
      inputX,
      offloadable: inputX && !b.lossOutput,
    };
  });
}

/** Density of a tensor's mask: 1 - rate of its dropout layer. */
export function maskDensity(a: ModelAnalysis, t: SimTensor): number {
  const l = a.spec.layers[t.owner];
  return l.kind === 'dropout' ? 1 - l.rate : 1;
}
