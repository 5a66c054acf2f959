/**
 * The tensors the schedule moves and the memory model counts, derived from
 * the zoo's analysis (src/nn/shapes.ts). vDNN offloads each distinct saved
 * tensor once, however many layers save it; a flatten layer's output is a
 * view of its input, so tensors that differ only by a flatten are merged.
 */
import type { ModelAnalysis, SavedTensor } from '../nn/shapes.js';
import type { LayerSpec } from '../nn/spec.js';

export interface SimTensor {
  /** 'a:<producer>' for an activation, 'm:<dropout>' for a dropout mask (canonical producer). */
  readonly key: string;
  readonly kind: 'activation' | 'mask';
  /** Canonical producer: the first layer, through flatten views, that computes these bytes. */
  readonly producer: string;
  readonly producerIndex: number;
  /** Every layer name whose output these bytes are (the producer and flattens of it). */
  readonly names: readonly string[];
  /** Elements per example. */
  readonly elements: number;
  readonly savedBy: readonly string[];
  /** Indices of the savedBy layers, ascending. */
  readonly savedByIndex: readonly number[];
  /** Forward step whose execution the offload overlaps (first consumer; for a mask, the next layer). */
  readonly offloadLayer: number;
  /** Largest forward index that reads these bytes (consumers of the producer or its views). */
  readonly lastForwardUse: number;
  /** Backward step that needs it first: the largest index among savedBy. */
  readonly firstBackwardUse: number;
  /** Backward step that needs it last: the smallest index among savedBy (freed after it). */
  readonly lastBackwardUse: number;
  /** Saved by some conv2d (as its input X): the tensors vDNN's 'conv' policy offloads. */
  readonly convInput: boolean;
  /** Density relative to the post-ReLU density d: 0 for dense tensors (density 1), else a factor. */
  readonly sparseFactor: number;
  /** False only for tensors the next backward step needs at once (the loss layer's output). */
  readonly offloadable: boolean;
}

/** Per-layer graph facts used by the schedule and the memory model. */
export interface Graph {
  /** For each layer index: indices of its consumers. */
  readonly consumers: readonly (readonly number[])[];
  /** For each layer index: index of the layer whose bytes its output is (itself unless a flatten). */
  readonly canonical: readonly number[];
  readonly indexOf: ReadonlyMap<string, number>;
}

export function buildGraph(a: ModelAnalysis): Graph {
  const indexOf = new Map<string, number>();
  a.spec.layers.forEach((l, i) => indexOf.set(l.name, i));
  const consumers: number[][] = a.spec.layers.map(() => []);
  const canonical: number[] = [];
  a.spec.layers.forEach((l, i) => {
    for (const name of l.inputs) consumers[indexOf.get(name)!].push(i);
    canonical.push(l.kind === 'flatten' ? canonical[indexOf.get(l.inputs[0])!] : i);
  });
  return { consumers, canonical, indexOf };
}

/**
 * Density of a layer's output relative to the post-ReLU density: ReLU outputs
 * are 1x; layers that keep zeros where their inputs are zero and whose inputs
 * are all post-ReLU inherit it (max/avg pooling, LRN, concat, flatten, global
 * pooling: an approximation, pooling raises density a little); dropout
 * multiplies by its keep probability; everything else (the image, conv,
 * dense, batchnorm, add outputs) is dense: 0.
 */
function sparseFactors(a: ModelAnalysis, g: Graph): number[] {
  const f: number[] = [];
  a.spec.layers.forEach((l: LayerSpec, i) => {
    const ins = l.inputs.map((n) => f[g.indexOf.get(n)!]);
    const allSparse = ins.length > 0 && ins.every((x) => x > 0);
    switch (l.kind) {
      case 'relu':
        f[i] = 1;
        break;
      case 'maxpool':
      case 'avgpool':
      case 'lrn':
      case 'concat':
      case 'flatten':
      case 'globalavgpool':
        f[i] = allSparse ? Math.max(...ins) : 0;
        break;
      case 'dropout':
        f[i] = allSparse ? ins[0] * (1 - l.rate) : 0;
        break;
      default:
        f[i] = 0;
    }
  });
  return f;
}

export function simTensors(a: ModelAnalysis, g: Graph = buildGraph(a)): SimTensor[] {
  const layers = a.spec.layers;
  const last = layers.length - 1;
  const factors = sparseFactors(a, g);
  const merged = new Map<string, { t: SavedTensor; savedBy: Set<string>; names: Set<string> }>();
  for (const t of a.saved) {
    const ci = t.kind === 'mask' ? t.producerIndex : g.canonical[t.producerIndex];
    const key = `${t.kind === 'mask' ? 'm' : 'a'}:${layers[ci].name}`;
    const m = merged.get(key);
    if (m) {
      t.savedBy.forEach((s) => m.savedBy.add(s));
      m.names.add(t.producer);
    } else {
      merged.set(key, { t, savedBy: new Set(t.savedBy), names: new Set([t.producer]) });
    }
  }
  const out: SimTensor[] = [];
  for (const [key, { t, savedBy, names }] of merged) {
    const ci = t.kind === 'mask' ? t.producerIndex : g.canonical[t.producerIndex];
    const idx = [...savedBy].map((s) => g.indexOf.get(s)!);
    // Every layer whose output is these bytes (the producer and its flatten views).
    const views = layers.map((_, i) => i).filter((i) => g.canonical[i] === ci);
    const readers = views
      .flatMap((v) => g.consumers[v])
      .filter((i) => layers[i].kind !== 'flatten');
    const lastForwardUse = Math.max(ci, ...readers);
    const offloadLayer =
      t.kind === 'mask' ? Math.min(ci + 1, last) : readers.length > 0 ? Math.min(...readers) : ci;
    const sparseFactor = t.kind === 'mask' ? 0 : factors[ci];
    const saverIdx = [...savedBy].map((s) => g.indexOf.get(s)!);
    out.push({
      key,
      kind: t.kind,
      producer: layers[ci].name,
      producerIndex: ci,
      names: [...names, ...views.map((v) => layers[v].name)].filter(
        (n, i, arr) => arr.indexOf(n) === i,
      ),
      elements: t.elements,
      savedBy: [...savedBy],
      savedByIndex: [...saverIdx].sort((x, y) => x - y),
      offloadLayer,
      lastForwardUse,
      firstBackwardUse: Math.max(...idx),
      lastBackwardUse: Math.min(...idx),
      convInput: saverIdx.some(
        (i) => layers[i].kind === 'conv2d' && readsFrom(layers[i], views, layers),
      ),
      sparseFactor,
      offloadable: t.kind === 'mask' || ci !== last,
    });
  }
  return out.sort((x, y) => x.producerIndex - y.producerIndex || x.key.localeCompare(y.key));
}

function readsFrom(l: LayerSpec, views: readonly number[], layers: readonly LayerSpec[]): boolean {
  return l.inputs.some((n) => views.some((v) => layers[v].name === n));
}

/** Density of a tensor's mask: 1 - rate of its dropout layer. */
export function maskDensity(a: ModelAnalysis, t: SimTensor): number {
  const l = a.spec.layers[t.producerIndex];
  return l.kind === 'dropout' ? 1 - l.rate : 1;
}
