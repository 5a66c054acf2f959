/**
 * What the memory manager reports as it runs, and the two listeners that
 * turn it into per-step statistics (stats.ts) and a Chrome trace (trace.ts).
 * The manager decides and moves; it keeps no books itself.
 * Times are performance.now() milliseconds.
 */
import type { ModelSpec } from '../nn/spec.js';
import type { GroupCost } from './dyn.js';
import { emptyLayerStats, finishStep, type StepStats } from './stats.js';
import type { TraceRecorder } from './trace.js';
import type { TransferResult } from './transfer-engine.js';

export interface ManagerListener {
  stepBegan?(step: number, planName: string, startMs: number, hostBytes: number): void;
  /** Device bytes now (sampled at every hook). */
  deviceSampled?(bytes: number): void;
  /** A layer's forward ended: `computeMs` excludes copies and stalls; it waited `stallStart..end` for offloads. */
  forwardEnded?(
    layer: number,
    startMs: number,
    computeMs: number,
    stallStartMs: number,
    endMs: number,
    synced: boolean,
  ): void;
  backwardEnded?(layer: number, startMs: number, computeMs: number, endMs: number): void;
  /** The compute thread copied a tensor out to a staging buffer / back in. */
  copiedOut?(layer: number, ms: number): void;
  copiedIn?(layer: number, ms: number): void;
  /** The backward of `layer` waited for a prefetch. */
  prefetchStalled?(layer: number, startMs: number, endMs: number): void;
  /** An offload finished; `layer` is where the forward pass synchronises on it. */
  offloaded?(key: string, layer: number, r: TransferResult, hostBytes: number): void;
  /** A prefetch finished; `layer` is the backward that needs it first. */
  prefetched?(key: string, layer: number, r: TransferResult): void;
  stepEnded?(
    step: number,
    planName: string,
    startMs: number,
    endMs: number,
    deviceBytes: number,
  ): void;
}

/** Builds one StepStats per step and the per-buffer transfer costs dyn plans with. */
export class StatsListener implements ManagerListener {
  readonly steps: StepStats[] = [];
  readonly costs = new Map<string, GroupCost>();
  readonly #spec: ModelSpec;
  #step: StepStats | undefined;

  constructor(spec: ModelSpec) {
    this.#spec = spec;
  }

  stepBegan(step: number, planName: string, _startMs: number, hostBytes: number): void {
    this.#step = {
      step,
      plan: planName,
      stepMs: 0,
      forwardMs: 0,
      backwardMs: 0,
      computeMs: 0,
      stallMs: 0,
      transferMs: 0,
      offloads: 0,
      offloadedRawBytes: 0,
      offloadedLinkBytes: 0,
      prefetchedLinkBytes: 0,
      linkBytes: 0,
      ratio: 1,
      offloadedElements: 0,
      offloadedNonZero: 0,
      density: NaN,
      deviceBytes: 0,
      peakDeviceBytes: 0,
      peakHostBytes: hostBytes,
      layers: this.#spec.layers.map((l, i) => emptyLayerStats(i, l.name, l.kind)),
    };
  }

  deviceSampled(bytes: number): void {
    const s = this.#step;
    if (s && bytes > s.peakDeviceBytes) s.peakDeviceBytes = bytes;
  }

  forwardEnded(
    layer: number,
    startMs: number,
    computeMs: number,
    stallStartMs: number,
    endMs: number,
    synced: boolean,
  ): void {
    const s = this.#step;
    if (!s) return;
    s.layers[layer].forwardMs += computeMs;
    if (synced) s.layers[layer].forwardStallMs += endMs - stallStartMs;
    s.forwardMs += endMs - startMs;
  }

  backwardEnded(layer: number, startMs: number, computeMs: number, endMs: number): void {
    const s = this.#step;
    if (!s) return;
    s.layers[layer].backwardMs += computeMs;
    s.backwardMs += endMs - startMs;
  }

  copiedOut(layer: number, ms: number): void {
    if (this.#step) this.#step.layers[layer].copyOutMs += ms;
  }
  copiedIn(layer: number, ms: number): void {
    if (this.#step) this.#step.layers[layer].copyInMs += ms;
  }
  prefetchStalled(layer: number, startMs: number, endMs: number): void {
    if (this.#step) this.#step.layers[layer].backwardStallMs += endMs - startMs;
  }

  offloaded(key: string, layer: number, r: TransferResult, hostBytes: number): void {
    const s = this.#step;
    if (!s) return;
    const l = s.layers[layer];
    l.offloadedRawBytes += r.rawBytes;
    l.offloadedLinkBytes += r.linkBytes;
    if (r.nonZero >= 0) {
      l.offloadedElements += r.rawBytes / 4;
      l.offloadedNonZero += r.nonZero;
    }
    l.offloadMs += r.endMs - r.startMs;
    s.offloads++;
    const c = this.costs.get(key);
    this.costs.set(key, {
      offloadMs: r.endMs - r.startMs,
      prefetchMs: c?.prefetchMs ?? 0,
      rawBytes: r.rawBytes,
    });
    s.peakHostBytes = Math.max(s.peakHostBytes, hostBytes);
  }

  prefetched(key: string, layer: number, r: TransferResult): void {
    const s = this.#step;
    if (s) {
      s.layers[layer].prefetchedLinkBytes += r.linkBytes;
      s.layers[layer].prefetchMs += r.endMs - r.startMs;
    }
    const c = this.costs.get(key);
    this.costs.set(key, {
      offloadMs: c?.offloadMs ?? 0,
      prefetchMs: r.endMs - r.startMs,
      rawBytes: r.rawBytes,
    });
  }

  stepEnded(
    _step: number,
    _plan: string,
    startMs: number,
    endMs: number,
    deviceBytes: number,
  ): void {
    const s = this.#step;
    if (!s) return;
    s.stepMs = endMs - startMs;
    s.deviceBytes = deviceBytes;
    this.steps.push(finishStep(s));
    this.#step = undefined;
  }
}

/** Spans on the compute and transfer lanes of a Chrome trace. */
export class TraceListener implements ManagerListener {
  readonly #trace: TraceRecorder;
  readonly #spec: ModelSpec;

  constructor(trace: TraceRecorder, spec: ModelSpec) {
    this.#trace = trace;
    this.#spec = spec;
  }

  forwardEnded(
    layer: number,
    startMs: number,
    _computeMs: number,
    stallStartMs: number,
    endMs: number,
    synced: boolean,
  ): void {
    if (synced && endMs - stallStartMs > 0.01) {
      this.#trace.span('compute', 'wait offload', 'stall', stallStartMs, endMs);
    }
    this.#trace.span('compute', this.#spec.layers[layer].name, 'forward', startMs, endMs);
  }

  backwardEnded(layer: number, startMs: number, _computeMs: number, endMs: number): void {
    this.#trace.span(
      'compute',
      `${this.#spec.layers[layer].name} backward`,
      'backward',
      startMs,
      endMs,
    );
  }

  prefetchStalled(_layer: number, startMs: number, endMs: number): void {
    if (endMs - startMs > 0.01)
      this.#trace.span('compute', 'wait prefetch', 'stall', startMs, endMs);
  }

  offloaded(key: string, _layer: number, r: TransferResult): void {
    this.#trace.span('transfer', `offload ${key}`, 'offload', r.startMs, r.endMs, {
      rawBytes: r.rawBytes,
      linkBytes: r.linkBytes,
      ratio: r.linkBytes > 0 ? +(r.rawBytes / r.linkBytes).toFixed(3) : 1,
      codecMs: +r.codecMs.toFixed(3),
      linkMs: +r.linkMs.toFixed(3),
    });
  }

  prefetched(key: string, _layer: number, r: TransferResult): void {
    this.#trace.span('transfer', `prefetch ${key}`, 'prefetch', r.startMs, r.endMs, {
      rawBytes: r.rawBytes,
      linkBytes: r.linkBytes,
      codecMs: +r.codecMs.toFixed(3),
      linkMs: +r.linkMs.toFixed(3),
    });
  }

  stepEnded(step: number, planName: string, startMs: number, endMs: number): void {
    this.#trace.span('compute', `step ${step}`, 'step', startMs, endMs, { plan: planName });
  }
}
