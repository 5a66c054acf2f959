/**
 * Offload policies (vDNN's): which saved activations leave the device.
 * - none: keep everything (the oracle);
 * - all:  offload every saved activation (every layer's input X, and the
 *         outputs and masks layers keep), memory-optimal;
 * - conv: offload only the inputs X of convolution layers, whose long
 *         computations hide the transfers best;
 * - dyn:  profile a step, then pick the fastest set that fits the budget
 *         (see dyn.ts).
 *
 * Decisions are made per distinct saved tensor (a "group"), because a
 * ReLU's output that is also the next layer's input is one buffer: keeping
 * any one reference on the device keeps all its bytes there. A flatten's
 * output is a reshape of its input, so both are one group.
 */
import { InvalidArgumentError } from '../errors.js';
import type { ModelAnalysis } from '../nn/shapes.js';
import type { ModelSpec } from '../nn/spec.js';

export type PolicyName = 'none' | 'all' | 'conv' | 'dyn';
export const POLICY_NAMES: readonly PolicyName[] = ['none', 'all', 'conv', 'dyn'];

export function parsePolicy(s: string): PolicyName {
  if ((POLICY_NAMES as readonly string[]).includes(s)) return s as PolicyName;
  throw new InvalidArgumentError(`unknown policy '${s}': use one of ${POLICY_NAMES.join(', ')}`);
}

/** A distinct saved buffer of the model, as the memory manager plans it. */
export interface SavedGroup {
  /** 'a:<producer>' for an activation, 'm:<layer>' for a dropout mask. */
  readonly key: string;
  /** Per example. */
  readonly elements: number;
  /** Indices of the layers that save it, ascending. */
  readonly savers: readonly number[];
  /** First layer (forward order) that saves it: the offload can start there. */
  readonly firstSave: number;
  /** Last layer that saves it: forward synchronises there, backward first needs it there. */
  readonly lastSave: number;
  /** Index of the layer whose output it is (the mask's layer for masks). */
  readonly producer: number;
  /** It is the input X of a convolution. */
  readonly convInput: boolean;
}

/** Resolves flatten chains: the buffer a layer's output really is. */
export function bufferOwner(spec: ModelSpec, layerName: string): string {
  const byName = new Map(spec.layers.map((l) => [l.name, l]));
  let name = layerName;
  for (let l = byName.get(name); l?.kind === 'flatten'; l = byName.get(name)) name = l.inputs[0];
  return name;
}

/** The group key of what `layer` saves in `role` (its first input for 'input'). */
export function groupKey(
  spec: ModelSpec,
  layerIndex: number,
  role: 'input' | 'output' | 'mask',
): string {
  const l = spec.layers[layerIndex];
  if (!l) throw new InvalidArgumentError(`no layer ${layerIndex} in model ${spec.name}`);
  if (role === 'mask') return `m:${l.name}`;
  return `a:${bufferOwner(spec, role === 'output' ? l.name : l.inputs[0])}`;
}

/**
 * Which layers the backward pass visits (the executor's rule): those with
 * parameters and those downstream of one. Others save nothing.
 */
export function backwardLayers(spec: ModelSpec): boolean[] {
  const index = new Map(spec.layers.map((l, i) => [l.name, i]));
  const needs: boolean[] = [];
  for (const l of spec.layers) {
    const params = l.kind === 'conv2d' || l.kind === 'dense' || l.kind === 'batchnorm';
    needs.push(l.kind !== 'input' && (params || l.inputs.some((n) => needs[index.get(n)!])));
  }
  return needs;
}

/**
 * The model's distinct saved buffers, flatten aliases merged, in producer
 * order. The model input is left out: the batch belongs to the trainer, which
 * holds it for the whole step, so moving it would free nothing.
 */
export function savedGroups(analysis: ModelAnalysis): SavedGroup[] {
  const spec = analysis.spec;
  const index = new Map(spec.layers.map((l, i) => [l.name, i]));
  const visited = backwardLayers(spec);
  const acc = new Map<string, { elements: number; savers: Set<number>; producer: number }>();
  for (const t of analysis.saved) {
    const owner = t.kind === 'mask' ? t.producer : bufferOwner(spec, t.producer);
    if (spec.layers[index.get(owner)!].kind === 'input') continue;
    const savers = t.savedBy.map((s) => index.get(s)!).filter((i) => visited[i]);
    if (savers.length === 0) continue;
    const key = t.kind === 'mask' ? `m:${owner}` : `a:${owner}`;
    let g = acc.get(key);
    if (!g) {
      g = { elements: t.elements, savers: new Set(), producer: index.get(owner)! };
      acc.set(key, g);
    }
    for (const s of savers) g.savers.add(s);
  }
  const groups: SavedGroup[] = [];
  for (const [key, g] of acc) {
    const savers = [...g.savers].sort((a, b) => a - b);
    groups.push({
      key,
      elements: g.elements,
      savers,
      firstSave: savers[0],
      lastSave: savers[savers.length - 1],
      producer: g.producer,
      convInput: key.startsWith('a:') && savers.some((i) => spec.layers[i].kind === 'conv2d'),
    });
  }
  return groups.sort((a, b) => a.producer - b.producer || a.key.localeCompare(b.key));
}

/** The keys a static policy offloads. */
export function staticPlan(
  policy: 'none' | 'all' | 'conv',
  groups: readonly SavedGroup[],
): Set<string> {
  if (policy === 'none') return new Set();
  if (policy === 'all') return new Set(groups.map((g) => g.key));
  return new Set(groups.filter((g) => g.convInput).map((g) => g.key));
}
