/// <reference types="@webgpu/types" />
/**
 * The per-network section of `npm run bench:webgpu` (issue 15): for each
 * network, training steps on backend webgpu under the oracle (everything
 * stays in GPU memory), vDNN (policy all, codec none: raw bytes cross the
 * real GPU -> host link) and cDMA (policy all, codec zvc: compressed on the
 * GPU, only the payload crosses), in one process, their steps interleaved
 * so that they share the machine's load; the median step time of each, cDMA's speed-up over vDNN, the bytes offloaded and sent, and the
 * three runs' weight hashes (equal, or the bench fails).
 *
 * Next to the measurement, the speed-up `cdma simulate`'s model predicts
 * for this link and these ratios: its schedule (src/sim/schedule.ts, vDNN's
 * two streams: each layer's transfers overlap its compute, the layer stalls
 * for what is left) run on this machine's numbers:
 * - per-layer compute: one extra oracle step with the GPU synchronised at
 *   every layer end (the memory manager's per-layer compute times are host
 *   dispatch times on webgpu: the kernels run later, and its stalls absorb
 *   them), scaled so that the layers add up to the measured oracle step
 *   (the synchronisations themselves cost time: the profile gives each
 *   layer's share, the oracle the total);
 * - the tensors the manager offloaded (its offload set, the plan's keys) at
 *   the link's measured GPU -> host GB/s, in both directions;
 * - cDMA's ratio per tensor measured in the cDMA run (the ratio of the
 *   layer its offload synchronises at);
 * - no DRAM, compressor or crossbar limit (none of them is modelled here).
 * Predicted step = the schedule's iteration time (the measured oracle step
 * + the stalls it adds). Beside
 * it, the fully serialized prediction (oracle + every link byte / GB/s, no
 * overlap: WebGPU has one queue, and its copies need not overlap kernels),
 * and that plus the GPU ZVC kernels at the rates the bench measured.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/nn/backend.js';
import { Executor } from '../src/nn/executor.js';
import { KeepStore } from '../src/nn/keep-store.js';
import type { ModelSpec } from '../src/nn/spec.js';
import type { SavedHandle, SavedTensorInfo, SavedTensorStore } from '../src/nn/store.js';
import { getModel, smallModels } from '../src/nn/zoo/index.js';
import { Sgd } from '../src/train/sgd.js';
import { MemoryManager } from '../src/memory/manager.js';
import { DEFAULT_MEMORY_CONFIG } from '../src/memory/config.js';
import { median, type StepStats } from '../src/memory/stats.js';
import { ModelPlan } from '../src/plan/index.js';
import type { EngineSpec } from '../src/sim/engine.js';
import type { LayerTime } from '../src/sim/roofline.js';
import { runSchedule } from '../src/sim/schedule.js';
import { simTensors } from '../src/sim/tensors.js';

export const SMALL_ZOO = smallModels();

export interface NetworkOptions {
  readonly models: readonly string[];
  readonly batch: number;
  /** Timed steps per run (after a warm-up step and the oracle's profiled step). */
  readonly steps: number;
  /** The link's measured GPU -> host rate. */
  readonly linkGBps: number;
  /** The GPU ZVC kernels' measured rates (raw bytes), for the serialized-with-kernels prediction. */
  readonly zvcEncodeGBps?: number;
  readonly zvcDecodeGBps?: number;
  readonly log?: (line: string) => void;
}

export interface RunResult {
  /** Median wall time of a step (trainStep, SGD update, GPU idle), ms. */
  readonly stepMs: number;
  readonly stepsMs: number[];
  readonly hash: string;
  /** Per step (median over the timed steps): raw bytes offloaded, bytes over the link out and back. */
  readonly offloadedRawBytes: number;
  readonly offloadedLinkBytes: number;
  readonly prefetchedLinkBytes: number;
  /** Per step (median): tensors offloaded, and the manager's stall time (compute waiting on transfers). */
  readonly offloads: number;
  readonly stallMs: number;
}

export interface Prediction {
  /** Predicted step times, ms. */
  readonly vdnnMs: number;
  readonly cdmaMs: number;
  /** vdnnMs / cdmaMs. */
  readonly speedup: number;
}

export interface NetworkResult {
  readonly model: string;
  readonly batch: number;
  readonly steps: number;
  readonly oracle: RunResult;
  readonly vdnn: RunResult;
  readonly cdma: RunResult;
  /** Measured: vDNN step / cDMA step. */
  readonly speedup: number;
  /** cDMA's raw offloaded bytes / its bytes over the link (offloads). */
  readonly ratio: number;
  readonly hashesEqual: boolean;
  /** Per-layer time of the profiled oracle step (ms, forward and backward, unscaled) and their sum. */
  readonly layerMs: { name: string; forward: number; backward: number }[];
  readonly profiledComputeMs: number;
  /** Oracle step / profiled sum: the factor the layer times are scaled by. */
  readonly layerScale: number;
  readonly linkGBps: number;
  /** Raw bytes the schedule moved per step (both directions), against what the runs moved. */
  readonly scheduleRawBytes: number;
  readonly measuredRawBytes: number;
  readonly overlap: Prediction;
  readonly serialized: Prediction;
  readonly serializedWithKernels?: Prediction;
  /**
   * Which prediction's speed-up the measured one is closer to; 'same' when
   * the two predictions are within 1% of each other (the link is too fast
   * for this compute to tell them apart).
   */
  readonly closerTo: 'overlap' | 'serialized' | 'same';
  /** |measured speed-up / overlap-predicted - 1| (the target on a GPU: <= 0.15). */
  readonly overlapError: number;
}

interface TfWebGpu {
  device: GPUDevice;
  commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

/** Submits what tfjs has recorded and waits until the GPU has run everything submitted. */
async function gpuIdle(): Promise<void> {
  const b = tf.backend() as unknown as TfWebGpu;
  if (b.commandEncoder !== null) {
    b.endComputePassEncoder();
    b.submitQueue();
  }
  await b.device.queue.onSubmittedWorkDone();
}

/**
 * The default store (tensors stay where they are) that, while `profiling`,
 * waits for the GPU at every layer end and records the time since the
 * previous layer's end: the layer's dispatch and GPU time.
 */
class LayerClockStore implements SavedTensorStore {
  readonly #keep = new KeepStore();
  profiling = false;
  readonly forward = new Map<number, number>();
  readonly backward = new Map<number, number>();
  #last = 0;

  async beginStep(): Promise<void> {
    if (!this.profiling) return;
    await gpuIdle();
    this.#last = performance.now();
  }
  async endForward(i: number): Promise<void> {
    if (this.profiling) this.forward.set(i, await this.#lap());
  }
  async endBackward(i: number): Promise<void> {
    if (this.profiling) this.backward.set(i, await this.#lap());
  }
  async #lap(): Promise<number> {
    await gpuIdle();
    const t = performance.now();
    const ms = t - this.#last;
    this.#last = t;
    return ms;
  }
  pack(t: tf.Tensor, info: SavedTensorInfo): SavedHandle {
    return this.#keep.pack(t, info);
  }
  unpack(h: SavedHandle): tf.Tensor {
    return this.#keep.unpack(h);
  }
  release(h: SavedHandle): void {
    this.#keep.release(h);
  }
}

interface Trained {
  run: RunResult;
  stats: readonly StepStats[];
  offloaded: ReadonlySet<string>;
}

/** One of the three runs: its executor, optimiser and store (a manager, or the layer clock). */
class Runner {
  readonly stepsMs: number[] = [];
  private constructor(
    readonly spec: ModelSpec,
    readonly batch: number,
    readonly exec: Executor,
    readonly sgd: Sgd,
    readonly manager: MemoryManager | undefined,
    readonly clock: LayerClockStore | undefined,
  ) {}

  static async create(
    spec: ModelSpec,
    batch: number,
    codec: 'none' | 'zvc' | undefined,
  ): Promise<Runner> {
    const m = codec
      ? await MemoryManager.create({
          config: { ...DEFAULT_MEMORY_CONFIG, policy: 'all', codec: { id: codec } },
          spec,
          batch,
        })
      : undefined;
    const clock = m ? undefined : new LayerClockStore();
    const exec = Executor.create(spec, { seed: 5, store: m ?? clock });
    const sgd = new Sgd({ lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
    return new Runner(spec, batch, exec, sgd, m, clock);
  }

  /** SGD step `step` (the same inputs in every run), timed from an idle GPU to an idle GPU. */
  async step(step: number, timed: boolean, profile: boolean): Promise<void> {
    const { spec, batch } = this;
    const input = spec.layers[0];
    if (input.kind !== 'input') throw new Error(`${spec.name}: no input layer`);
    const [c, h, w] = input.shape;
    const x = tf.randomNormal([batch, h, w, c], 0, 1, 'float32', 11 + step) as tf.Tensor4D;
    const labels = new Int32Array(batch).map((_, i) => (i * 7 + step) % spec.numClasses);
    if (this.clock) this.clock.profiling = profile;
    try {
      await gpuIdle();
      const t0 = performance.now();
      await this.exec.trainStep(x, labels, step);
      this.sgd.step(this.exec.params);
      await gpuIdle();
      if (timed) this.stepsMs.push(performance.now() - t0);
    } finally {
      x.dispose();
      if (this.clock) this.clock.profiling = false;
    }
  }

  /** The run's result; `skip` untimed steps come first in the manager's records. */
  async finish(skip: number): Promise<Trained> {
    const m = this.manager;
    const hash = await this.exec.weightsHashAsync();
    const timed = (m?.steps ?? []).slice(skip);
    const med = (f: (s: StepStats) => number) => (timed.length ? median(timed.map(f)) : 0);
    return {
      run: {
        stepMs: median(this.stepsMs),
        stepsMs: this.stepsMs,
        hash,
        offloadedRawBytes: med((s) => s.offloadedRawBytes),
        offloadedLinkBytes: med((s) => s.offloadedLinkBytes),
        prefetchedLinkBytes: med((s) => s.prefetchedLinkBytes),
        offloads: med((s) => s.offloads),
        stallMs: med((s) => s.stallMs),
      },
      stats: timed,
      offloaded: new Set(m?.offloaded ?? []),
    };
  }

  async dispose(): Promise<void> {
    this.sgd.dispose();
    this.exec.dispose();
    await this.manager?.close();
  }
}

/**
 * The three runs, 2 + steps SGD steps each, interleaved step by step (in
 * an order rotated every step) so that they share the machine's load: a
 * warm-up, the oracle's profiled step (untimed in every run), then `steps`
 * timed ones.
 */
async function trainAll(
  spec: ModelSpec,
  batch: number,
  steps: number,
): Promise<{ oracle: Trained; vdnn: Trained; cdma: Trained; clock: LayerClockStore }> {
  const runners: Runner[] = [];
  try {
    for (const codec of [undefined, 'none', 'zvc'] as const)
      runners.push(await Runner.create(spec, batch, codec));
    for (let step = 0; step < steps + 2; step++) {
      for (let k = 0; k < runners.length; k++) {
        const r = runners[(k + step) % runners.length];
        await r.step(step, step >= 2, step === 1 && r.clock !== undefined);
      }
    }
    const [oracle, vdnn, cdma] = [
      await runners[0].finish(2),
      await runners[1].finish(2),
      await runners[2].finish(2),
    ];
    return { oracle, vdnn, cdma, clock: runners[0].clock! };
  } finally {
    for (const r of runners) await r.dispose();
  }
}

/** The step of `stats` whose cDMA link bytes are the median (its per-layer records). */
function medianStep(stats: readonly StepStats[]): StepStats {
  const sorted = [...stats].sort((a, b) => a.offloadedLinkBytes - b.offloadedLinkBytes);
  return sorted[sorted.length >> 1];
}

const pred = (vdnnMs: number, cdmaMs: number): Prediction => ({
  vdnnMs,
  cdmaMs,
  speedup: vdnnMs / cdmaMs,
});

export async function benchNetwork(name: string, o: NetworkOptions): Promise<NetworkResult> {
  const spec = getModel(name);
  const log = o.log ?? (() => {});
  const { oracle, vdnn, cdma, clock } = await trainAll(spec, o.batch, o.steps);
  log(
    `  ${name}: oracle ${oracle.run.stepMs.toFixed(0)} ms, vDNN ${vdnn.run.stepMs.toFixed(0)} ms, ` +
      `cDMA ${cdma.run.stepMs.toFixed(0)} ms`,
  );

  // The schedule's inputs: measured layer times, the manager's offloaded tensors, measured ratios.
  const plan = ModelPlan.of(spec);
  const layerMs = spec.layers.map((l, i) => ({
    name: l.name,
    forward: clock.forward.get(i) ?? 0,
    backward: clock.backward.get(i) ?? 0,
  }));
  const profiledComputeMs = layerMs.reduce((a, l) => a + l.forward + l.backward, 0);
  const layerScale = oracle.run.stepMs / profiledComputeMs;
  const times: LayerTime[] = spec.layers.map((l, i) => ({
    index: i,
    name: l.name,
    kind: l.kind,
    forward: (layerMs[i].forward * layerScale) / 1000,
    backward: (layerMs[i].backward * layerScale) / 1000,
    forwardBytes: 0,
    backwardBytes: 0,
    forwardBound: 'profile',
    backwardBound: 'profile',
    algos: null,
    forwardWorkspace: 0,
    backwardWorkspace: 0,
  }));
  const tensors = simTensors(plan);
  const offloaded = tensors.filter((t) => cdma.offloaded.has(t.key));
  const ratio =
    cdma.run.offloadedLinkBytes > 0 ? cdma.run.offloadedRawBytes / cdma.run.offloadedLinkBytes : 1;
  const layers = medianStep(cdma.stats).layers;
  const ratios = new Map<string, number>();
  for (const t of offloaded) {
    const l = layers[plan.deviceBuffer(t.key)?.lastSave ?? -1];
    ratios.set(
      t.key,
      l && l.offloadedLinkBytes > 0 ? l.offloadedRawBytes / l.offloadedLinkBytes : ratio,
    );
  }
  const bps = o.linkGBps * 1e9;
  const engine: EngineSpec = {
    placement: 'mc',
    unitBytesPerSec: Infinity,
    units: 1,
    crossbarPortBytesPerSec: Infinity,
    linkBytesPerSec: bps,
    dramBytesPerSec: Infinity,
  };
  const schedule = (compress: boolean) =>
    runSchedule({ times, offloaded, ratios, engine, compress, batch: o.batch, elementBytes: 4 });
  const sv = schedule(false);
  const sc = schedule(true);
  const base = oracle.run.stepMs;
  const overlap = pred(sv.iterationTime * 1000, sc.iterationTime * 1000);
  const serialized = pred(base + (sv.wireBytes / bps) * 1000, base + (sc.wireBytes / bps) * 1000);
  const serializedWithKernels =
    o.zvcEncodeGBps && o.zvcDecodeGBps
      ? pred(
          serialized.vdnnMs,
          serialized.cdmaMs +
            (sc.rawBytes / 2 / (o.zvcEncodeGBps * 1e9) +
              sc.rawBytes / 2 / (o.zvcDecodeGBps * 1e9)) *
              1000,
        )
      : undefined;
  const speedup = vdnn.run.stepMs / cdma.run.stepMs;
  const hashesEqual = oracle.run.hash === vdnn.run.hash && oracle.run.hash === cdma.run.hash;
  return {
    model: name,
    batch: o.batch,
    steps: o.steps,
    oracle: oracle.run,
    vdnn: vdnn.run,
    cdma: cdma.run,
    speedup,
    ratio,
    hashesEqual,
    layerMs,
    profiledComputeMs,
    layerScale,
    linkGBps: o.linkGBps,
    scheduleRawBytes: sv.rawBytes,
    measuredRawBytes: 2 * vdnn.run.offloadedRawBytes,
    overlap,
    serialized,
    serializedWithKernels,
    closerTo:
      Math.abs(serialized.speedup / overlap.speedup - 1) < 0.01
        ? 'same'
        : Math.abs(Math.log(speedup / overlap.speedup)) <=
            Math.abs(Math.log(speedup / serialized.speedup))
          ? 'overlap'
          : 'serialized',
    overlapError: Math.abs(speedup / overlap.speedup - 1),
  };
}

export async function benchNetworks(o: NetworkOptions): Promise<NetworkResult[]> {
  await initBackend('webgpu');
  const out: NetworkResult[] = [];
  for (const name of o.models) out.push(await benchNetwork(name, o));
  return out;
}

const mb = (b: number) => (b / 1e6).toFixed(2);

/** The section's markdown table. */
export function networkTable(rs: readonly NetworkResult[]): string[] {
  const kernels = rs.some((r) => r.serializedWithKernels);
  const lines = [
    '| network | oracle ms | vDNN ms | cDMA ms | speed-up (measured) | predicted, overlap | predicted, serialized |' +
      (kernels ? ' serialized + ZVC kernels |' : '') +
      ' closer to | offloads/step | offloaded MB/step | cDMA link MB/step | ratio | weights |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |' +
      (kernels ? ' ---: |' : '') +
      ' --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rs) {
    lines.push(
      `| ${r.model} | ${r.oracle.stepMs.toFixed(0)} | ${r.vdnn.stepMs.toFixed(0)} | ${r.cdma.stepMs.toFixed(0)} | ` +
        `${r.speedup.toFixed(2)} | ${r.overlap.speedup.toFixed(2)} | ${r.serialized.speedup.toFixed(2)} |` +
        (kernels ? ` ${r.serializedWithKernels?.speedup.toFixed(2) ?? '-'} |` : '') +
        ` ${r.closerTo} | ${r.vdnn.offloads} | ${mb(r.vdnn.offloadedRawBytes)} | ${mb(r.cdma.offloadedLinkBytes)} | ` +
        `${r.ratio.toFixed(2)} | ${r.hashesEqual ? 'ok' : 'MISMATCH'} |`,
    );
  }
  return lines;
}
