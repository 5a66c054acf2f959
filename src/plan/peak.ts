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
 * the caller's base bytes. That is `tensorBytes`. The heap also holds each
 * layer's kernel temporaries while the layer runs (src/plan/temporaries.ts,
 * measured): `peakBytes` adds them, and is what a budget of device memory
 * checks. The wasm heap also loses room to fragmentation: `heapBytes` is what
 * the heap itself must hold, checked against the heap's limit.
 */
import type { ModelPlan } from './plan.js';
import { layerTemporaries } from './temporaries.js';
import { Timeline } from './timeline.js';

const F32 = 4;

/**
 * Share of the wasm heap the estimate keeps free for its fragmentation: the
 * bytes a step's tensors and temporaries need are divided by (1 - this) to
 * give the heap a step needs (`heapBytes`), which must fit the heap's limit.
 * A --budget counts device bytes (tensors and temporaries), as a GPU's
 * memory would; the margin guards the heap, whatever the budget.
 * tfjs-backend-wasm's allocator (emmalloc) grows the heap by a whole request
 * when its top free region is too small and fits from size buckets, so a
 * step's heap rises above its live bytes. Measured (scripts/budget-sweep.ts:
 * the rise of the heap's break over two steps at the largest batch the
 * estimate accepts, every `-small` network, policies all and none, limits
 * 64 MiB to 1 GiB) by a factor of up to 1.82 over tensors plus
 * temporaries, and 2.11 for googlenet-small at the default 3.75 GiB limit
 * (which overflowed the heap under a 50% margin). 60% covers a factor of
 * 2.5. The table is in docs/MEMORY.md ("The budget").
 */
export const FRAGMENTATION_MARGIN = 0.6;

export interface PeakEstimate {
  /**
   * What the device must hold: at the worst layer, the tensors the executor
   * counts plus that layer's kernel temporaries (src/plan/temporaries.ts).
   * A budget checks this.
   */
  readonly peakBytes: number;
  /**
   * The wasm heap that step needs: peakBytes with FRAGMENTATION_MARGIN of the
   * heap kept free for fragmentation. Checked against the heap's limit.
   */
  readonly heapBytes: number;
  /** Layer at that peak, and whether it is in the forward or the backward pass. */
  readonly layer: string;
  readonly phase: 'forward' | 'backward';
  /** The peak of the tensors alone, as the executor's device meter counts them at its layer boundaries. */
  readonly tensorBytes: number;
  /** Where the tensors alone peak (it can be another layer than the peak with temporaries). */
  readonly tensorLayer: string;
  readonly tensorPhase: 'forward' | 'backward';
  /** The worst layer's kernel temporaries (part of peakBytes). */
  readonly temporaryBytes: number;
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
  for (let i = 1; i < L; i++) {
    tl.spike(fwd(i), layerTemporaries(plan, i, 'forward', batch));
    if (g.needsBackward[i]) tl.spike(bwd(i), layerTemporaries(plan, i, 'backward', batch));
  }
  const tensors = tl.peak();
  const heap = tl.peak(true);
  const withTemporaries = baseBytes + heap.bytes;
  return {
    peakBytes: withTemporaries,
    heapBytes: Math.ceil(withTemporaries / (1 - FRAGMENTATION_MARGIN)),
    layer: a.spec.layers[heap.layer].name,
    phase: heap.phase,
    tensorBytes: baseBytes + tensors.bytes,
    tensorLayer: a.spec.layers[tensors.layer].name,
    tensorPhase: tensors.phase,
    temporaryBytes: heap.spike,
  };
}
