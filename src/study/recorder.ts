/**
 * Hooks that record a training step's activations for the study. Two taps:
 * the executor's observer (every layer's output, as the device holds it,
 * NHWC) for the activations, and a wrapper around the saved-tensor store for
 * the dropout keep masks, which are not layer outputs. At a recorded step
 * each distinct saved buffer (the model plan's buffers: a ReLU output that is also
 * the next convolution's input X is one tensor) and every ReLU output (and
 * every ReLU-like activation's: relu6, a capped ReLU) is read back once and
 * measured; other steps cost a boolean test per layer.
 *
 * The loss layer's own output is not recorded: its backward runs first and
 * it is never offloaded (docs/SIMULATOR.md), and it is not an activation.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { ModelAnalysis } from '../nn/shapes.js';
import { ModelPlan } from '../plan/index.js';
import type { LayerSpec } from '../nn/spec.js';
import { makesZeros } from '../nn/layers/activation-fns.js';
import type { SavedHandle, SavedTensorInfo, SavedTensorStore } from '../nn/store.js';
import type { TensorMeasurement } from './aggregate.js';
import { isDrawable, type MapImage } from './maps.js';
import type { MeasureReply } from './measure-protocol.js';
import type { MeasureService } from './measure-service.js';

/** One tensor the recorder measures at a recorded step. */
export interface RecordTarget {
  /** "producer:output" or "dropout:mask". */
  readonly key: string;
  readonly layer: string;
  readonly layerIndex: number;
  readonly kind: string;
  readonly role: 'output' | 'mask';
  /** Per sample, [C, H, W] or [C]. */
  readonly shape: readonly number[];
  readonly savedFor: readonly string[];
}

/** The kind a tensor is reported under: an activation layer's function (relu6, sigmoid...), else the layer kind. */
export function kindLabel(spec: LayerSpec): string {
  return spec.kind === 'activation' || spec.kind === 'activation_x' ? spec.fn : spec.kind;
}

/** A ReLU or an activation that, like it, outputs exact zeros (relu6, a ReLU with a cap or threshold). */
function reluLike(spec: LayerSpec): boolean {
  return (
    spec.kind === 'relu' ||
    ((spec.kind === 'activation' || spec.kind === 'activation_x') && makesZeros(spec))
  );
}

/** The tensors of a model the study records, in network order. */
export function recordTargets(analysis: ModelAnalysis): RecordTarget[] {
  const targets: RecordTarget[] = [];
  const seen = new Set<string>();
  const add = (t: RecordTarget) => {
    if (seen.has(t.key)) return;
    seen.add(t.key);
    targets.push(t);
  };
  const layerName = (i: number) => analysis.spec.layers[i].name;
  for (const s of ModelPlan.fromAnalysis(analysis).buffers) {
    const a = analysis.layers[s.owner];
    if (a.spec.kind === 'softmax_ce') continue;
    const role = s.kind === 'mask' ? 'mask' : 'output';
    add({
      key: `${s.ownerName}:${role}`,
      layer: s.ownerName,
      layerIndex: s.owner,
      kind: kindLabel(a.spec),
      role,
      shape: role === 'mask' ? a.inputShapes[0] : a.outputShape,
      savedFor: s.savedBy
        .map(layerName)
        .map((by) => `${by}:${by === s.ownerName ? role : 'input'}`),
    });
  }
  for (const a of analysis.layers) {
    if (!reluLike(a.spec)) continue;
    add({
      key: `${a.spec.name}:output`,
      layer: a.spec.name,
      layerIndex: a.index,
      kind: kindLabel(a.spec),
      role: 'output',
      shape: a.outputShape,
      savedFor: [],
    });
  }
  return targets.sort(
    (x, y) =>
      x.layerIndex - y.layerIndex || (x.role === 'mask' ? 1 : 0) - (y.role === 'mask' ? 1 : 0),
  );
}

/** A map image drawn at a recorded step. */
export interface DrawnMap {
  readonly layer: string;
  readonly step: number;
  readonly image: MapImage;
}

export interface RecorderOptions {
  /** At most this many tensors get activation maps (spread over the network). */
  readonly maxMapLayers: number;
  /** Channels drawn per map. */
  readonly mapChannels: number;
  /** Clock in milliseconds (performance.now by default). */
  readonly now?: () => number;
}

/** What a recorded step yields once its measurements are in. */
export interface RecordedStep {
  readonly step: number;
  readonly tensors: TensorMeasurement[];
  readonly maps: DrawnMap[];
  /** Milliseconds the measuring thread spent on this step. */
  readonly measureMs: number;
}

/**
 * Records the targets of one model. Call begin(step, drawMaps) before a
 * recorded step's trainStep and end() after it; use `observer` and
 * `wrap(store)` as the executor's options. The training thread only reads
 * each tensor back (dataSync) and hands it to the measure service; end()
 * returns a promise of the step's measurements, so a worker service
 * measures while training goes on.
 */
export class StepRecorder {
  readonly targets: readonly RecordTarget[];
  private readonly byOutput = new Map<number, RecordTarget>();
  private readonly byMask = new Map<string, RecordTarget>();
  private readonly drawable: ReadonlySet<string>;
  private readonly now: () => number;
  private active = false;
  private step = -1;
  private drawMaps = false;
  private jobs = new Map<string, Promise<MeasureReply>>();
  /** Milliseconds the training thread spent handing tensors over since the last takeMainMs(). */
  private mainMs = 0;

  constructor(
    analysis: ModelAnalysis,
    private readonly service: MeasureService,
    private readonly opts: RecorderOptions,
  ) {
    this.targets = recordTargets(analysis);
    for (const t of this.targets) {
      if (t.role === 'mask') this.byMask.set(t.layer, t);
      else this.byOutput.set(t.layerIndex, t);
    }
    const candidates = this.targets.filter((t) => t.role === 'output' && isDrawable(t.shape));
    const k = Math.min(opts.maxMapLayers, candidates.length);
    const picked = new Set<string>();
    for (let i = 0; i < k; i++) {
      const j = k === 1 ? 0 : Math.round((i * (candidates.length - 1)) / (k - 1));
      picked.add(candidates[j].key);
    }
    this.drawable = picked;
    this.now = opts.now ?? (() => performance.now());
  }

  /** The executor observer: hands a recorded step's layer outputs to the measure service. */
  readonly observer = {
    onForwardOutput: (layerIndex: number, _spec: LayerSpec, output: Tensor, step: number): void => {
      if (!this.active || step !== this.step) return;
      const t = this.byOutput.get(layerIndex);
      if (t) this.take(t, output);
    },
  };

  /** Wraps a store so that dropout masks are measured as they are saved. */
  wrap(inner: SavedTensorStore): SavedTensorStore {
    const rec = (t: Tensor, info: SavedTensorInfo): void => {
      if (!this.active || info.role !== 'mask') return;
      const target = this.byMask.get(info.layer);
      if (target) this.take(target, t);
    };
    return {
      beginStep: inner.beginStep?.bind(inner),
      endStep: inner.endStep?.bind(inner),
      beginForward: inner.beginForward?.bind(inner),
      endForward: inner.endForward?.bind(inner),
      beginBackward: inner.beginBackward?.bind(inner),
      endBackward: inner.endBackward?.bind(inner),
      pack(t: Tensor, info: SavedTensorInfo): SavedHandle {
        rec(t, info);
        return inner.pack(t, info);
      },
      unpack: (h: SavedHandle) => inner.unpack(h),
      release: (h: SavedHandle) => inner.release(h),
    };
  }

  private take(target: RecordTarget, t: Tensor): void {
    if (this.jobs.has(target.key)) return;
    const t0 = this.now();
    // The wasm backend's dataSync copies out of its heap into a fresh array;
    // cpu may hand out its own storage, so that is copied.
    const measure = (data: Float32Array) =>
      this.service.measure({
        data,
        batch: t.shape[0],
        shape: target.shape,
        mapChannels: this.drawMaps && this.drawable.has(target.key) ? this.opts.mapChannels : 0,
      });
    let job: Promise<MeasureReply>;
    if (tf.getBackend() === 'webgpu') {
      // No synchronous readback there: a reference of its own (no copy) keeps the tensor
      // until its bytes are read, whatever the executor disposes meanwhile.
      const own = tf.keep(t.clone());
      job = own
        .data()
        .finally(() => own.dispose())
        .then((v) => measure(v as Float32Array));
    } else {
      const read = t.dataSync() as Float32Array;
      job = measure(tf.getBackend() === 'wasm' ? read : read.slice());
    }
    job.catch(() => {}); // observed in end(); avoid an unhandled rejection meanwhile
    this.jobs.set(target.key, job);
    this.mainMs += this.now() - t0;
  }

  begin(step: number, drawMaps: boolean): void {
    this.active = true;
    this.step = step;
    this.drawMaps = drawMaps;
    this.jobs = new Map();
  }

  /**
   * Ends a recorded step: throws at once if a target was not seen, else
   * returns the promise of its measurements in target order.
   */
  end(): Promise<RecordedStep> {
    this.active = false;
    const step = this.step;
    const jobs = this.jobs;
    this.jobs = new Map();
    const missing = this.targets.filter((t) => !jobs.has(t.key)).map((t) => t.key);
    if (missing.length > 0) {
      throw new Error(`step ${step}: the executor did not hand over ${missing.join(', ')}`);
    }
    return (async () => {
      const replies = await Promise.all(
        this.targets.map((t) => jobs.get(t.key) as Promise<MeasureReply>),
      );
      const tensors: TensorMeasurement[] = [];
      const maps: DrawnMap[] = [];
      let measureMs = 0;
      replies.forEach((r, i) => {
        const t = this.targets[i];
        tensors.push({
          layer: t.layer,
          kind: t.kind,
          role: t.role,
          shape: t.shape,
          savedFor: t.savedFor,
          ...r.measurement,
        });
        if (r.map) maps.push({ layer: t.layer, step, image: r.map });
        measureMs += r.ms;
      });
      return { step, tensors, maps, measureMs };
    })();
  }

  /** Stops recording a failed step; its jobs are dropped. */
  abort(): void {
    this.active = false;
    this.jobs = new Map();
  }

  /** Milliseconds the training thread spent reading tensors back and handing them over, since the last call. */
  takeMainMs(): number {
    const ms = this.mainMs;
    this.mainMs = 0;
    return ms;
  }
}
