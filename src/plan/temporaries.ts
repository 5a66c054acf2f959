/**
 * Kernel temporaries per layer, as a formula of the layer's shapes: the heap
 * bytes a layer's forward or backward writes on the wasm backend beyond the
 * tensors the executor's device meter counts (its inputs, output, saved
 * tensors, gradients). They come from XNNPACK (it packs a convolution's or a
 * matrix product's right-hand operand: the weights in forward, dY in the
 * filter gradient), from cdma's composed kernels (the transposes of
 * Conv2DBackpropFilter, the flipped filters and phase outputs of
 * Conv2DBackpropInput, src/nn/kernels) and from the intermediate tensors
 * inside a layer's tf.tidy (relu's mask, batchnorm's centred input).
 *
 * The coefficients are upper envelopes of what src/memory/temporaries-probe.ts
 * measured on every layer of the seven `-small` networks at batches 16 and 64
 * (scripts/measure-temporaries.ts prints the table; docs/MEMORY.md, "The
 * budget", shows it). In the formulas X is the bytes of the layer's inputs,
 * Y of its output, W of its parameters, all at the batch, float32.
 */
import type { ModelPlan } from './plan.js';
import { CHUNK_ABOVE_BYTES, BATCH_CHUNK } from '../nn/kernels/Conv2DBackpropFilter.js';

const F32 = 4;
/**
 * Added to every layer's forward and backward: the probe fills only holes of
 * 64 KiB or more below its mark, so smaller temporaries (XNNPACK's
 * indirection buffers, small packed filters) can hide in smaller holes.
 */
export const TEMPORARY_FLOOR_BYTES = 256 * 1024;

export interface LayerShapeBytes {
  readonly kind: string;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly batch: number;
  /** A convolution's stride (1 for other kinds). */
  readonly stride: number;
  /** Whether the backward pass computes the gradient of the layer's input (false for the first convolution). */
  readonly inputGrad?: boolean;
}

/** The formula for one layer, forward or backward (without the floor). */
export function temporaryBytes(s: LayerShapeBytes, phase: 'forward' | 'backward'): number {
  const { x, y, w } = s;
  const fwd = phase === 'forward';
  switch (s.kind) {
    case 'conv2d': {
      // Forward: XNNPACK packs the filter (W) and keeps the bias-fused
      // output's working copy. Backward: the filter gradient transposes X
      // and dY and XNNPACK packs dY^T as its filter (3 dY-sized buffers); above
      // CHUNK_ABOVE_BYTES of dY that runs per chunk of BATCH_CHUNK examples
      // (one dY-sized buffer, three per chunk); the input gradient adds the
      // flipped sub-filters and, with a stride, its phase outputs.
      if (fwd) return 2 * w + 3.25 * Math.min(x, y);
      const dyPart = y > CHUNK_ABOVE_BYTES ? y + 3 * y * Math.min(1, BATCH_CHUNK / s.batch) : 3 * y;
      // A convolution on the model input computes dW only, and takes more
      // X-sized room for it: googlenet-small conv1/7x7_s2 measured 3 Y + 2.8 X
      // at batch 64 beyond the floor.
      const xPart = s.stride > 1 ? 6 : s.inputGrad === false ? 3 : 1.5;
      return dyPart + xPart * x + 3 * w;
    }
    case 'dense':
      // XNNPACK packs W in forward; backward packs Wᵀ and dY, with explicit transposes.
      return fwd ? w : 2 * w + 2 * x + 3 * y;
    case 'relu':
      // Backward: the mask Y > 0 as its own tensor before the product.
      return fwd ? 0 : y;
    case 'batchnorm':
      return fwd ? 3 * x : 7 * x;
    case 'globalavgpool':
      return fwd ? x : y;
    case 'maxpool':
    case 'avgpool':
    case 'lrn':
    case 'concat':
    case 'add':
    case 'flatten':
    case 'reshape':
    case 'dropout':
    case 'softmax_ce':
    case 'input':
      // Measured at zero beyond the floor: typed-array kernels write straight into their outputs.
      return 0;
    default:
      // Kinds the probe has not measured (those of imported models): two
      // activation-sized buffers and two copies of the weights.
      return 2 * Math.max(x, y) + 2 * w;
  }
}

/** Temporaries of layer `i` of the plan at `batch`, forward or backward, the floor included. */
export function layerTemporaries(
  plan: ModelPlan,
  i: number,
  phase: 'forward' | 'backward',
  batch: number,
): number {
  const { analysis: a, graph: g } = plan;
  const l = a.spec.layers[i];
  if (l.kind === 'input') return 0;
  const stride = l.kind === 'conv2d' ? Math.max(l.stride[0], l.stride[1]) : 1;
  const shape: LayerShapeBytes = {
    kind: l.kind,
    x: g.inputs[i].reduce((s, j) => s + a.layers[j].outputElements, 0) * batch * F32,
    y: a.layers[i].outputElements * batch * F32,
    w: a.layers[i].params * F32,
    batch,
    stride,
    inputGrad: g.needInputGrad[i].some((b) => b),
  };
  return Math.ceil(temporaryBytes(shape, phase)) + TEMPORARY_FLOOR_BYTES;
}
