/**
 * Peak GPU memory over one iteration: weights, weight gradients and
 * optimizer state for the whole run, plus the activations, dropout masks and
 * gradient maps live at each forward and backward step (and an optional
 * constant workspace). Offloaded tensors leave after their offload is
 * synchronised and come back when their prefetch is issued. Buffers are freed
 * as soon as nothing needs them (a framework with a memory pool); with
 * in-place ReLU (default) a ReLU overwrites its input when nothing else reads
 * or saves it, and writes its input gradient over its output gradient.
 */
import { Timeline, type ModelPlan } from '../plan/index.js';
import type { SimTensor } from './tensors.js';

export interface MemoryInput {
  readonly plan: ModelPlan;
  readonly tensors: readonly SimTensor[];
  readonly batch: number;
  readonly elementBytes: number;
  /** Keys of offloaded tensors and the backward step (layer index) their prefetch is issued at. */
  readonly fetchedAt: ReadonlyMap<string, number>;
  /** fp32 copies per parameter besides the weights: gradients (1) + optimizer state (momentum SGD: 1). */
  readonly paramCopies: number;
  readonly workspaceBytes: number;
  /** Default true. */
  readonly inplaceRelu?: boolean;
}

export interface MemoryResult {
  readonly peakBytes: number;
  /** Bytes held the whole iteration (weights, gradients, optimizer state, workspace). */
  readonly staticBytes: number;
  /** Activations + gradient maps at the peak. */
  readonly activationPeakBytes: number;
  /** Where the peak is: 'forward <layer>' or 'backward <layer>'. */
  readonly peakAt: string;
}

interface OutputInfo {
  readonly index: number;
  readonly bytes: number;
  /** Non-view layers reading these bytes. */
  readonly readers: readonly number[];
  readonly lastRead: number;
}

/** Every layer output that owns its bytes (views excluded), with its readers. */
function outputs(m: Pick<MemoryInput, 'plan' | 'batch' | 'elementBytes'>): OutputInfo[] {
  const { plan, batch, elementBytes: e } = m;
  const g = plan.graph;
  const out: OutputInfo[] = [];
  for (let i = 0; i < plan.layerCount; i++) {
    if (g.owner[i] !== i) continue; // a view of its input
    out.push({
      index: i,
      bytes: plan.analysis.layers[i].outputElements * batch * e,
      readers: g.readers[i],
      lastRead: g.lastRead[i],
    });
  }
  return out;
}

export function peakMemory(m: MemoryInput): MemoryResult {
  const { batch, elementBytes: e } = m;
  const a = m.plan.analysis;
  const inplace = m.inplaceRelu ?? true;
  const L = a.layers.length;
  const tl = new Timeline(L);
  const F = (i: number) => tl.fwd(i);
  const B = (i: number) => tl.bwd(i);
  const live = (from: number, to: number, bytes: number) => tl.live(from, to, bytes);
  const saved = new Map(m.tensors.map((t) => [t.key, t]));
  const hold = (t: SimTensor | undefined, start: number, forwardEnd: number, bytes: number) => {
    if (!t) return live(F(start), F(forwardEnd), bytes);
    const at = m.fetchedAt.get(t.key);
    if (at === undefined) return live(F(start), B(t.lastBackwardUse), bytes);
    live(F(start), F(Math.max(forwardEnd, t.offloadLayer)), bytes);
    live(B(at), B(t.lastBackwardUse), bytes);
  };
  for (const o of outputs(m)) {
    const layer = a.layers[o.index];
    const t = saved.get(`a:${layer.spec.name}`);
    // Overwritten in place by its only reader, a ReLU: freed as that ReLU starts.
    const overwritten =
      inplace && !t && o.readers.length === 1 && a.spec.layers[o.readers[0]].kind === 'relu';
    hold(t, o.index, overwritten ? o.lastRead - 1 : o.lastRead, o.bytes);
    if (layer.spec.kind === 'dropout') {
      const mask = saved.get(`m:${layer.spec.name}`);
      hold(mask, o.index, o.index, (mask?.elements ?? 0) * batch * e);
    }
    // Gradient map dY of this output, from its last reader's backward to its own;
    // an in-place ReLU writes it over the ReLU's own output gradient.
    if (layer.spec.kind !== 'input' && o.index !== L - 1 && o.readers.length > 0) {
      live(B(o.lastRead) + (overwritten ? 1 : 0), B(o.index), o.bytes);
    }
  }
  const p = tl.peak();
  const staticBytes = a.params * 4 * (1 + m.paramCopies) + m.workspaceBytes;
  const at = `${p.phase} ${a.spec.layers[p.layer].name}`;
  return {
    peakBytes: staticBytes + p.bytes,
    staticBytes,
    activationPeakBytes: p.bytes,
    peakAt: at,
  };
}

/**
 * Network-wide allocation of feature maps, as frameworks of vDNN's time did
 * and as its baseline describes: every layer's output is allocated for the
 * whole iteration (an in-place ReLU shares its input's buffer; a flatten is a
 * view), gradient maps are reused (the two largest live at once), dropout
 * masks are kept. What a no-offload run holds without liveness-based reuse.
 */
export function networkWideBytes(m: Omit<MemoryInput, 'fetchedAt'>): number {
  const inplace = m.inplaceRelu ?? true;
  const layers = m.plan.spec.layers;
  const saved = new Set(m.tensors.map((t) => t.key));
  let maps = 0;
  const grads: number[] = [];
  for (const o of outputs(m)) {
    const l = layers[o.index];
    const overwritten =
      inplace &&
      !saved.has(`a:${l.name}`) &&
      o.readers.length === 1 &&
      layers[o.readers[0]].kind === 'relu';
    if (!overwritten) maps += o.bytes;
    if (l.kind === 'dropout') maps += o.bytes; // mask
    grads.push(o.bytes);
  }
  grads.sort((x, y) => y - x);
  const gradBytes = (grads[0] ?? 0) + (grads[1] ?? 0);
  return maps + gradBytes + m.plan.analysis.params * 4 * (1 + m.paramCopies) + m.workspaceBytes;
}
