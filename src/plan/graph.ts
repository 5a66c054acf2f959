/**
 * The layer DAG of a ModelSpec as indices: who feeds whom, which layers the
 * backward pass visits, whose bytes each output is (a flatten's output is a
 * view of its input), who reads each buffer, and which weights feed a ReLU.
 */
import { InvalidArgumentError } from '../errors.js';
import { layerKind } from '../nn/layers/registry.js';
import type { ModelSpec } from '../nn/spec.js';

export interface Graph {
  /** Per layer, the indices of its inputs (spec order; repeats allowed). */
  readonly inputs: readonly (readonly number[])[];
  /** Per layer, the indices of the layers that consume its output (one per edge). */
  readonly consumers: readonly (readonly number[])[];
  /** Per layer: does the backward pass visit it (it has trainable parameters or is downstream of a layer that has)? */
  readonly needsBackward: readonly boolean[];
  /** Per layer and input: is the gradient of that input needed? */
  readonly needInputGrad: readonly (readonly boolean[])[];
  /** Per layer: is its output consumed only by ReLUs (directly or through batchnorm)? */
  readonly feedsRelu: readonly boolean[];
  /** Per layer: the layer whose bytes its output is (itself, unless it is a view such as flatten). */
  readonly owner: readonly number[];
  /**
   * Per owning layer (owner[i] === i): the layers, views excluded, that read
   * its bytes in the forward pass (through any view), ascending. Empty for views.
   */
  readonly readers: readonly (readonly number[])[];
  /** Per layer: the last forward position its output's bytes are read (itself when nothing reads them). */
  readonly lastRead: readonly number[];
}

/** The layer kind's output is a view of its (single) input's bytes (its descriptor says). */
export function isView(kind: string): boolean {
  return layerKind(kind).view;
}
/** What the layer kind saves for its backward pass (its descriptor says). */
export function savesFor(kind: string): readonly ('input' | 'output' | 'mask')[] {
  return layerKind(kind).saves;
}

export function buildGraph(spec: ModelSpec): Graph {
  const L = spec.layers.length;
  const index = new Map<string, number>();
  spec.layers.forEach((l, i) => index.set(l.name, i));
  const inputs = spec.layers.map((l) =>
    l.inputs.map((name) => {
      const j = index.get(name);
      if (j === undefined) {
        throw new InvalidArgumentError(`model layer '${l.name}': unknown input '${name}'`);
      }
      return j;
    }),
  );
  const consumers: number[][] = spec.layers.map(() => []);
  inputs.forEach((ins, i) => ins.forEach((j) => consumers[j].push(i)));
  // A layer runs backward when it holds trainable parameters or is downstream of one that does.
  const needsBackward: boolean[] = [];
  spec.layers.forEach((l, i) => {
    const withParams = layerKind(l.kind, l.name).hasParams && l.frozen !== true;
    needsBackward.push(
      l.kind !== 'input' && (withParams || inputs[i].some((j) => needsBackward[j])),
    );
  });
  const needInputGrad = inputs.map((ins) => ins.map((j) => needsBackward[j]));
  const onlyRelu = (i: number): boolean =>
    consumers[i].length > 0 &&
    consumers[i].every((k) => {
      const kind = spec.layers[k].kind;
      return kind === 'relu' || (kind === 'batchnorm' && onlyRelu(k));
    });
  const feedsRelu = spec.layers.map((_, i) => onlyRelu(i));
  const owner: number[] = [];
  spec.layers.forEach((l, i) => owner.push(isView(l.kind) ? owner[inputs[i][0]] : i));
  const readers: number[][] = spec.layers.map(() => []);
  for (let v = 0; v < L; v++) {
    for (const c of consumers[v]) if (!isView(spec.layers[c].kind)) readers[owner[v]].push(c);
  }
  for (const r of readers) r.sort((a, b) => a - b);
  const lastRead = spec.layers.map((_, i) => {
    const r = readers[owner[i]];
    return r.length > 0 ? Math.max(i, r[r.length - 1]) : i;
  });
  return { inputs, consumers, needsBackward, needInputGrad, feedsRelu, owner, readers, lastRead };
}
