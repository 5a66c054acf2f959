/**
 * Peak GPU memory over one iteration: weights, weight gradients and
 * optimizer state for the whole run, plus what vDNN's memory pool holds at
 * each forward and backward step: activations, dropout masks, gradient maps
 * and the running layer's convolution workspace (and an optional constant
 * workspace). Offloaded tensors leave after their offload is synchronised and
 * come back when their prefetch is issued. Buffers are freed as soon as
 * nothing needs them (vDNN's layer-wise allocation from a memory pool); with
 * in-place ReLU (default, as Torch's cudnn.ReLU(true)) a ReLU overwrites its
 * input when nothing else reads or saves it, and writes its input gradient
 * over its output gradient.
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
  /** A constant workspace held all iteration (--workspace-mb), besides the layers' own. */
  readonly workspaceBytes: number;
  /** Convolution workspace per layer while its forward / backward pass runs (roofline.ts). */
  readonly layerWorkspace?: readonly { readonly forward: number; readonly backward: number }[];
  /** Default true. */
  readonly inplaceRelu?: boolean;
}

export interface MemoryResult {
  readonly peakBytes: number;
  /** Bytes held the whole iteration (weights, gradients, optimizer state, constant workspace). */
  readonly staticBytes: number;
  /**
   * The memory pool at the peak: activations, gradient maps and the running
   * layer's workspace (what the vDNN paper's memory figures plot).
   */
  readonly activationPeakBytes: number;
  /** The running layer's convolution workspace at the peak. */
  readonly workspaceAtPeak: number;
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
  // The running layer's workspace, allocated from the pool for its pass only.
  const ws = m.layerWorkspace;
  let wsAtPeak = 0;
  if (ws) {
    for (let i = 0; i < L; i++) {
      if (ws[i].forward > 0) live(F(i), F(i), ws[i].forward);
      if (ws[i].backward > 0) live(B(i), B(i), ws[i].backward);
    }
  }
  const p = tl.peak();
  if (ws) wsAtPeak = p.phase === 'forward' ? ws[p.layer].forward : ws[p.layer].backward;
  const staticBytes = a.params * 4 * (1 + m.paramCopies) + m.workspaceBytes;
  const at = `${p.phase} ${a.spec.layers[p.layer].name}`;
  return {
    peakBytes: staticBytes + p.bytes,
    staticBytes,
    activationPeakBytes: p.bytes,
    workspaceAtPeak: wsAtPeak,
    peakAt: at,
  };
}

/** vDNN's baseline, part by part (bytes, whole batch). */
export interface NetworkWide {
  /** Every layer output (and dropout mask) for the whole iteration. */
  readonly featureMaps: number;
  /** The two largest gradient maps (reused). */
  readonly gradientMaps: number;
  /** The largest workspace any layer needs (one buffer shared by all), plus the constant one. */
  readonly workspace: number;
  /** Weights alone, and weights + gradients + optimizer state. */
  readonly weights: number;
  readonly params: number;
  /** featureMaps + gradientMaps + workspace + params. */
  readonly total: number;
}

/**
 * Network-wide allocation of feature maps, as frameworks of vDNN's time did
 * and as its baseline describes (arXiv 1602.08124, section II-C): every
 * layer's output is allocated for the whole iteration (an in-place ReLU
 * shares its input's buffer; a flatten is a view), gradient maps are reused
 * (the two largest live at once), dropout masks are kept, and one workspace
 * buffer serves every layer, sized for the largest. What a no-offload run
 * holds without liveness-based reuse.
 */
export function networkWide(m: Omit<MemoryInput, 'fetchedAt'>): NetworkWide {
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
  const layerWs = (m.layerWorkspace ?? []).reduce((a, w) => Math.max(a, w.forward, w.backward), 0);
  const weights = m.plan.analysis.params * 4;
  const params = weights * (1 + m.paramCopies);
  const workspace = layerWs + m.workspaceBytes;
  return {
    featureMaps: maps,
    gradientMaps: gradBytes,
    workspace,
    weights,
    params,
    total: maps + gradBytes + workspace + params,
  };
}

/** The network-wide allocation's total (networkWide(m).total). */
export function networkWideBytes(m: Omit<MemoryInput, 'fetchedAt'>): number {
  return networkWide(m).total;
}
