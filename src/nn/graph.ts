/**
 * The layer DAG of a ModelSpec as indices: who feeds whom, how many times
 * each output is consumed (for freeing it after its last consumer), which
 * layers need a backward pass (they hold parameters or depend on a layer
 * that does), and which weights feed a ReLU (He init) or not (Glorot).
 */
import { layerKind } from './layers/registry.js';
import type { ModelSpec } from './spec.js';

export interface Graph {
  /** Per layer, the indices of its inputs (spec order; repeats allowed). */
  readonly inputs: readonly (readonly number[])[];
  /** Per layer, the indices of the layers that consume its output (one per edge). */
  readonly consumers: readonly (readonly number[])[];
  /** Per layer: does the backward pass visit it? */
  readonly needsBackward: readonly boolean[];
  /** Per layer and input: is the gradient of that input needed? */
  readonly needInputGrad: readonly (readonly boolean[])[];
  /** Per layer: is its output consumed only by ReLUs (directly or through batchnorm)? */
  readonly feedsRelu: readonly boolean[];
}

export function buildGraph(spec: ModelSpec): Graph {
  const index = new Map<string, number>();
  spec.layers.forEach((l, i) => index.set(l.name, i));
  const inputs = spec.layers.map((l) =>
    l.inputs.map((name) => {
      const j = index.get(name);
      if (j === undefined) throw new Error(`layer ${l.name}: unknown input ${name}`);
      return j;
    }),
  );
  const consumers: number[][] = spec.layers.map(() => []);
  inputs.forEach((ins, i) => ins.forEach((j) => consumers[j].push(i)));
  const needsBackward: boolean[] = [];
  spec.layers.forEach((l, i) => {
    const hasParams = layerKind(l.kind, l.name).hasParams;
    needsBackward.push(
      l.kind !== 'input' && (hasParams || inputs[i].some((j) => needsBackward[j])),
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
  return { inputs, consumers, needsBackward, needInputGrad, feedsRelu };
}
