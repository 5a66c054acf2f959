/**
 * The distinct buffers a training step keeps for its backward pass. A ReLU's
 * output that is also the next convolution's input X is one buffer: keeping
 * any reference on the device keeps all its bytes there, and vDNN moves it
 * once. A flatten's output is a view of its input, so both are one buffer,
 * named after the layer that computes the bytes. A dropout's keep mask is a
 * buffer of its own.
 */
import type { ModelAnalysis } from '../nn/shapes.js';
import { savesFor, type Graph } from './graph.js';

export type SaveRole = 'input' | 'output' | 'mask';

export interface SavedBuffer {
  /** 'a:<owner>' for an activation, 'm:<layer>' for a dropout mask. */
  readonly key: string;
  readonly kind: 'activation' | 'mask';
  /** Layer whose output these bytes are (the dropout layer for its mask). */
  readonly owner: number;
  readonly ownerName: string;
  /** Every layer whose output these bytes are: the owner and its views (masks: the owner). */
  readonly names: readonly string[];
  /** Elements per example. */
  readonly elements: number;
  /** Every layer that saves it, ascending (including any the backward pass does not visit). */
  readonly savedBy: readonly number[];
  /** The layers that save it and run a backward pass, ascending: the handles a step really takes. */
  readonly savers: readonly number[];
  /** First saver that runs backward: the offload can start there (-1 when none). */
  readonly firstSave: number;
  /** Last saver that runs backward: the forward pass synchronises its offload there, the backward pass needs it there first. */
  readonly lastSave: number;
  /** Layers (views excluded) that read the bytes in the forward pass, ascending; empty for masks. */
  readonly readers: readonly number[];
  /** It is the input X of a convolution (what vDNN's conv policy offloads). */
  readonly convInput: boolean;
  /** The model's input batch (the trainer holds it for the whole step). */
  readonly modelInput: boolean;
  /** The loss layer's output: the backward pass needs it the moment the forward pass ends. */
  readonly lossOutput: boolean;
}

/** The buffer key of what layer `layerIndex` saves in `role` (its input number `input` for 'input'). */
export function bufferKey(
  a: ModelAnalysis,
  g: Graph,
  layerIndex: number,
  role: SaveRole,
  input = 0,
): string {
  const l = a.spec.layers[layerIndex];
  if (role === 'mask') return `m:${l.name}`;
  const j = role === 'output' ? layerIndex : g.inputs[layerIndex][input];
  return `a:${a.spec.layers[g.owner[j]].name}`;
}

export function savedBuffers(a: ModelAnalysis, g: Graph): SavedBuffer[] {
  const layers = a.spec.layers;
  const last = layers.length - 1;
  interface Acc {
    kind: SavedBuffer['kind'];
    owner: number;
    elements: number;
    savedBy: Set<number>;
  }
  const acc = new Map<string, Acc>();
  const note = (kind: Acc['kind'], owner: number, elements: number, by: number): void => {
    const key = `${kind === 'mask' ? 'm' : 'a'}:${layers[owner].name}`;
    let b = acc.get(key);
    if (!b) {
      b = { kind, owner, elements, savedBy: new Set() };
      acc.set(key, b);
    }
    b.savedBy.add(by);
  };
  for (const la of a.layers) {
    const i = la.index;
    for (const role of savesFor(la.spec.kind)) {
      if (role === 'output') {
        note('activation', g.owner[i], la.outputElements, i);
      } else if (role === 'mask') {
        note(
          'mask',
          i,
          la.inputShapes.reduce((s, x) => s + x.reduce((p, d) => p * d, 1), 0),
          i,
        );
      } else {
        for (const j of g.inputs[i]) note('activation', g.owner[j], a.layers[j].outputElements, i);
      }
    }
  }
  const out: SavedBuffer[] = [];
  for (const [key, b] of acc) {
    const savedBy = [...b.savedBy].sort((x, y) => x - y);
    const savers = savedBy.filter((i) => g.needsBackward[i]);
    const views = layers.map((_, i) => i).filter((i) => g.owner[i] === b.owner);
    out.push({
      key,
      kind: b.kind,
      owner: b.owner,
      ownerName: layers[b.owner].name,
      names: b.kind === 'mask' ? [layers[b.owner].name] : views.map((v) => layers[v].name),
      elements: b.elements,
      savedBy,
      savers,
      firstSave: savers.length > 0 ? savers[0] : -1,
      lastSave: savers.length > 0 ? savers[savers.length - 1] : -1,
      readers: b.kind === 'mask' ? [] : g.readers[b.owner],
      convInput: b.kind === 'activation' && savedBy.some((i) => layers[i].kind === 'conv2d'),
      modelInput: b.kind === 'activation' && layers[b.owner].kind === 'input',
      lossOutput: b.kind === 'activation' && b.owner === last,
    });
  }
  return out.sort((x, y) => x.owner - y.owner || x.key.localeCompare(y.key));
}
