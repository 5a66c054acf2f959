/**
 * Peak device bytes of one training step of the layer-wise executor, from
 * the plan alone (no tensor is touched). This is what the executor's device
 * meter counts at its layer boundaries (kernel temporaries inside a layer
 * are not tensors it holds):
 * - a layer's output, from its forward until its last forward reader ends;
 * - a saved buffer kept on the device, until the backward of the first layer
 *   that saved it; an offloaded one, until its offload is synchronised (the
 *   end of the last layer that saves it), and again from the backward of that
 *   layer (where it is brought back) to the backward of the first saver;
 * - the gradient of a layer's output, from the backward of its last consumer
 *   to its own backward (each further consumer's part exists beside the
 *   running sum for one layer); parameter gradients, from their layer's
 *   backward to the step's end.
 * The model input is the trainer's batch, held the whole step: it belongs in
 * the caller's base bytes.
 */
import type { ModelPlan } from './plan.js';
import { Timeline } from './timeline.js';

const F32 = 4;

export interface PeakEstimate {
  readonly peakBytes: number;
  /** Layer at the peak, and whether it is in the forward or the backward pass. */
  readonly layer: string;
  readonly phase: 'forward' | 'backward';
}

/** Peak device bytes of one step at `batch` that offloads the buffers in `offloaded`, on top of `baseBytes`. */
export function executorPeak(
  plan: ModelPlan,
  offloaded: ReadonlySet<string>,
  batch: number,
  baseBytes: number,
): PeakEstimate {
  const { analysis: a, graph: g } = plan;
  const L = a.layers.length;
  const tl = new Timeline(L);
  const fwd = (i: number): number => tl.fwd(i);
  const bwd = (i: number): number => tl.bwd(i);
  const hold = (key: string, from: number, forwardEnd: number, bytes: number): void => {
    const b = plan.deviceBuffer(key);
    if (!b) {
      tl.live(fwd(from), fwd(forwardEnd), bytes);
    } else if (offloaded.has(b.key)) {
      tl.live(fwd(from), fwd(Math.max(forwardEnd, b.lastSave)), bytes);
      tl.live(bwd(b.lastSave), bwd(b.firstSave), bytes);
    } else {
      tl.live(fwd(from), bwd(b.firstSave), bytes);
    }
  };
  for (let j = 1; j < L; j++) {
    if (g.owner[j] !== j) continue; // a view: the owner holds the bytes
    hold(`a:${a.spec.layers[j].name}`, j, g.lastRead[j], a.layers[j].outputElements * batch * F32);
  }
  for (const b of plan.deviceBuffers) {
    if (b.kind === 'mask') hold(b.key, b.firstSave, b.firstSave, b.elements * batch * F32);
  }
  for (let j = 1; j < L; j++) {
    if (!g.needsBackward[j]) continue;
    const bytes = a.layers[j].outputElements * batch * F32;
    const consumers = g.consumers[j];
    if (j < L - 1) {
      const lastConsumer = Math.max(-1, ...consumers);
      tl.live(bwd(lastConsumer), bwd(j), bytes);
      for (const c of consumers) {
        if (c !== lastConsumer && g.needsBackward[c]) tl.live(bwd(c), bwd(c), bytes);
      }
    }
    // A frozen layer's parameter gradients are dropped as soon as its backward ends.
    const frozen = a.spec.layers[j].frozen === true;
    tl.live(bwd(j), frozen ? bwd(j) : tl.end, a.layers[j].params * F32);
  }
  const p = tl.peak();
  return { peakBytes: baseBytes + p.bytes, layer: a.spec.layers[p.layer].name, phase: p.phase };
}
