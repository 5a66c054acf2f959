/**
 * Statistics of the memory manager, per step and per layer: bytes offloaded
 * (raw and over the link), compression ratio, density, transfer time,
 * compute time, stall time (compute waiting for a transfer), device bytes.
 */
import type { LayerKind } from '../nn/spec.js';
import { formatBytes } from '../io/sizes.js';

export interface LayerStats {
  readonly index: number;
  readonly name: string;
  readonly kind: LayerKind;
  /** Compute-thread time in the layer's forward / backward, stalls excluded. */
  forwardMs: number;
  backwardMs: number;
  /** Time the forward end waited for this layer's offloads (vDNN's layer sync). */
  forwardStallMs: number;
  /** Time the backward waited for prefetches this layer needed. */
  backwardStallMs: number;
  /** Compute-thread time copying device bytes to staging buffers (forward) and back (backward). */
  copyOutMs: number;
  copyInMs: number;
  /** Offloads synchronised at this layer's forward end. */
  offloadedRawBytes: number;
  offloadedLinkBytes: number;
  offloadedElements: number;
  offloadedNonZero: number;
  /** Engine time of those offloads (start to end, link wait included). */
  offloadMs: number;
  /** Prefetches first needed by this layer's backward. */
  prefetchedLinkBytes: number;
  prefetchMs: number;
}

export interface StepStats {
  readonly step: number;
  /** The offload set used ('dyn' names the configuration it chose). */
  plan: string;
  stepMs: number;
  forwardMs: number;
  backwardMs: number;
  /** Sum of the layers' compute time (stalls excluded). */
  computeMs: number;
  stallMs: number;
  /** Busy time of the transfer engine. */
  transferMs: number;
  offloads: number;
  offloadedRawBytes: number;
  offloadedLinkBytes: number;
  prefetchedLinkBytes: number;
  /** Bytes that crossed the link in both directions. */
  linkBytes: number;
  /** offloadedRawBytes / offloadedLinkBytes (1 when nothing moved). */
  ratio: number;
  /** Offloaded 4-byte elements, and how many of them were non-zero. */
  offloadedElements: number;
  offloadedNonZero: number;
  /** Non-zero fraction of the offloaded elements (NaN when nothing moved). */
  density: number;
  /**
   * tf.memory().numBytes at the step's end, and the largest value seen at any
   * hook. tfjs counts every reference to a buffer, so this can exceed the
   * executor's device meter (which counts each buffer once).
   */
  deviceBytes: number;
  peakDeviceBytes: number;
  /** Host store bytes at the step's peak (compressed). */
  peakHostBytes: number;
  layers: LayerStats[];
}

export function emptyLayerStats(index: number, name: string, kind: LayerKind): LayerStats {
  return {
    index,
    name,
    kind,
    forwardMs: 0,
    backwardMs: 0,
    forwardStallMs: 0,
    backwardStallMs: 0,
    copyOutMs: 0,
    copyInMs: 0,
    offloadedRawBytes: 0,
    offloadedLinkBytes: 0,
    offloadedElements: 0,
    offloadedNonZero: 0,
    offloadMs: 0,
    prefetchedLinkBytes: 0,
    prefetchMs: 0,
  };
}

/** Fills the step totals from its layers. */
export function finishStep(s: StepStats): StepStats {
  let raw = 0;
  let link = 0;
  let pre = 0;
  let el = 0;
  let nz = 0;
  let compute = 0;
  let stall = 0;
  let transfer = 0;
  for (const l of s.layers) {
    raw += l.offloadedRawBytes;
    link += l.offloadedLinkBytes;
    pre += l.prefetchedLinkBytes;
    el += l.offloadedElements;
    nz += l.offloadedNonZero;
    compute += l.forwardMs + l.backwardMs + l.copyOutMs + l.copyInMs;
    stall += l.forwardStallMs + l.backwardStallMs;
    transfer += l.offloadMs + l.prefetchMs;
  }
  s.offloadedRawBytes = raw;
  s.offloadedLinkBytes = link;
  s.prefetchedLinkBytes = pre;
  s.linkBytes = link + pre;
  s.ratio = link > 0 ? raw / link : 1;
  s.offloadedElements = el;
  s.offloadedNonZero = nz;
  s.density = el > 0 ? nz / el : NaN;
  s.computeMs = compute;
  s.stallMs = stall;
  s.transferMs = transfer;
  return s;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The ideal step time of a layer-synchronised schedule: every layer's
 * compute overlapped perfectly with its transfers, i.e. the sum over layers
 * of max(compute, transfer), forward and backward.
 */
export function idealStepMs(s: StepStats): number {
  let t = 0;
  for (const l of s.layers) {
    t += Math.max(l.forwardMs + l.copyOutMs, l.offloadMs);
    t += Math.max(l.backwardMs + l.copyInMs, l.prefetchMs);
  }
  return t;
}

/** One line per step, for progress output. */
export function formatStep(s: StepStats): string {
  const ratio = s.offloadedLinkBytes > 0 ? `${s.ratio.toFixed(2)}x` : '-';
  const density = Number.isNaN(s.density) ? '-' : `${(s.density * 100).toFixed(1)}%`;
  return (
    `step ${s.step}: ${s.stepMs.toFixed(0)} ms (compute ${s.computeMs.toFixed(0)}, stall ${s.stallMs.toFixed(0)}), ` +
    `offloaded ${formatBytes(s.offloadedRawBytes)} -> ${formatBytes(s.offloadedLinkBytes)} (ratio ${ratio}, density ${density}), ` +
    `device peak ${formatBytes(s.peakDeviceBytes)}`
  );
}
