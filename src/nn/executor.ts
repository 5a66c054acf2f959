/**
 * The layer-wise executor: runs a ModelSpec's DAG forward and backward with
 * explicit per-layer backward functions, so it decides when every saved
 * activation lives (autograd tapes do not expose that). See docs/EXECUTOR.md.
 *
 * One training step:
 * - forward, layers in topological order: compute the output, pass each
 *   tensor the layer saves (SAVED_FOR_BACKWARD) to the store as its own
 *   reference, then drop every input whose last consumer this was;
 * - backward, in reverse order over the layers that need it: unpack the
 *   saved tensors, compute input and parameter gradients, free dY and the
 *   unpacked tensors, release the handles, accumulate input gradients.
 * Nothing survives a step except parameters, their gradients, batchnorm
 * running statistics and whatever the optimiser holds.
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';
import { DeviceMeter } from './device-meter.js';
import { checkDeviceRoom, defaultDeviceLimitBytes } from './device-limit.js';
import { initValues } from './init.js';
import { KeepStore } from './keep-store.js';
import { createLayer } from './layers/index.js';
import {
  toNhwc,
  type ForwardContext,
  type ForwardResult,
  type Layer,
  type LayerSetup,
} from './layers/layer.js';
import type { Buffer, Param } from './param.js';
import { share } from './share.js';
import type { ModelAnalysis } from './shapes.js';
import { ModelPlan, type Graph } from '../plan/index.js';
import type { LayerSpec, ModelSpec } from './spec.js';
import { SAVED_FOR_BACKWARD } from './spec.js';
import type { SavedHandle, SavedTensorStore } from './store.js';

export type { Param } from './param.js';

export interface ExecutorOptions {
  /** Initialisation (He for conv/dense followed by relu, Glorot otherwise) and dropout masks. */
  seed: number;
  /** Default: keeps saved tensors in place (KeepStore). */
  store?: SavedTensorStore;
  /** Default 3.75 GiB: refuse (DeviceMemoryError naming layer and bytes) before the wasm heap limit. */
  deviceLimitBytes?: number;
  /**
   * Starting values by parameter or buffer name ("conv1/weight",
   * "bn1/running_mean"), e.g. an imported model's weights; the others are
   * initialised from the seed. Every entry must name one of the model's
   * parameters or buffers and have its size.
   */
  initialValues?: ReadonlyMap<string, Float32Array>;
  /** For the sparsity study; must not keep or dispose the tensor. */
  observer?: {
    onForwardOutput?(layerIndex: number, spec: LayerSpec, output: Tensor, step: number): void;
  };
}

export interface StepResult {
  loss: number;
  correct: number;
  peakDeviceBytes: number;
}

interface Saved {
  readonly role: 'input' | 'output' | 'mask';
  /** For role 'input': which input. */
  readonly input: number;
  readonly handle: SavedHandle;
}

/** Everything one step holds, so that an error part-way frees it all. */
class StepState {
  readonly outs: (Tensor | null)[];
  readonly grads: (Tensor | null)[];
  readonly saved: Saved[][];
  readonly states: Tensor[][];
  readonly scratch = new Set<Tensor>();

  constructor(n: number) {
    this.outs = new Array<Tensor | null>(n).fill(null);
    this.grads = new Array<Tensor | null>(n).fill(null);
    this.saved = Array.from({ length: n }, () => []);
    this.states = Array.from({ length: n }, () => []);
  }

  dispose(store: SavedTensorStore): void {
    for (const t of [...this.outs, ...this.grads, ...this.states.flat(), ...this.scratch]) {
      t?.dispose();
    }
    for (const list of this.saved) for (const s of list) store.release(s.handle);
  }
}

export class Executor {
  readonly spec: ModelSpec;
  readonly params: readonly Param[];
  /** Batchnorm running statistics: model state that is not trained by the optimiser. */
  readonly buffers: readonly Buffer[];
  readonly analysis: ModelAnalysis;
  /** What the spec implies before any tensor exists (src/plan). */
  readonly plan: ModelPlan;
  private readonly layers: readonly Layer[];
  private readonly graph: Graph;
  private readonly store: SavedTensorStore;
  private readonly seed: number;
  private readonly limit: number;
  private readonly observer: ExecutorOptions['observer'];
  private readonly meter: DeviceMeter;
  private peak = 0;
  private disposed = false;

  private constructor(spec: ModelSpec, opts: ExecutorOptions) {
    if (!Number.isSafeInteger(opts.seed)) {
      throw new InvalidArgumentError(`seed must be an integer, got ${opts.seed}`);
    }
    const limit = opts.deviceLimitBytes ?? defaultDeviceLimitBytes(tf.getBackend());
    if (!(limit > 0)) {
      throw new InvalidArgumentError(`device limit must be a positive byte count, got ${limit}`);
    }
    this.spec = spec;
    this.plan = ModelPlan.of(spec);
    this.analysis = this.plan.analysis;
    this.graph = this.plan.graph;
    this.store = opts.store ?? new KeepStore();
    this.seed = opts.seed;
    this.limit = limit;
    this.observer = opts.observer;
    const params: Param[] = [];
    const buffers: Buffer[] = [];
    const used = new Set<string>();
    try {
      this.layers = spec.layers.map((l, i) =>
        createLayer(l, this.setupFor(i, params, buffers, opts.initialValues, used)),
      );
      for (const name of opts.initialValues?.keys() ?? []) {
        if (!used.has(name)) {
          throw new InvalidArgumentError(
            `model ${spec.name} has no parameter or buffer '${name}' to take a starting value`,
          );
        }
      }
    } catch (e) {
      for (const t of [...params, ...buffers]) t.value.dispose();
      throw e;
    }
    this.params = params;
    this.buffers = buffers;
    this.meter = new DeviceMeter(tf.backend(), params, buffers);
  }

  /** Builds the layers and initialises parameters on the current backend (call initBackend first). */
  static create(spec: ModelSpec, opts: ExecutorOptions): Executor {
    return new Executor(spec, opts);
  }

  /** Bytes the executor holds on the device now (see DeviceMeter). */
  get deviceBytes(): number {
    return this.meter.current();
  }

  /** Highest deviceBytes seen at any layer boundary since creation. */
  get peakDeviceBytes(): number {
    return this.peak;
  }

  private setupFor(
    i: number,
    params: Param[],
    buffers: Buffer[],
    initial: ReadonlyMap<string, Float32Array> | undefined,
    used: Set<string>,
  ): LayerSetup {
    const a = this.analysis.layers[i];
    const seed = this.seed;
    const given = (name: string, shape: number[]): Float32Array | undefined => {
      const v = initial?.get(name);
      if (v === undefined) return undefined;
      const size = shape.reduce((x, y) => x * y, 1);
      if (v.length !== size) {
        throw new InvalidArgumentError(
          `the starting value of '${name}' has ${v.length} elements; its shape [${shape.join(', ')}] needs ${size}`,
        );
      }
      used.add(name);
      return v;
    };
    return {
      index: i,
      inputShapes: a.inputShapes.map(toNhwc),
      outputShape: toNhwc(a.outputShape),
      init: this.graph.feedsRelu[i] ? 'he' : 'glorot',
      makeParam(name, shape, kind, fanIn, fanOut) {
        const size = shape.reduce((x, y) => x * y, 1);
        const values = given(name, shape) ?? initValues(seed, { name, kind, size, fanIn, fanOut });
        const init = tf.tensor(values, shape);
        const value = tf.variable(init, true);
        init.dispose();
        const p: Param = { name, value, grad: null, decay: name.endsWith('/weight'), slots: [] };
        params.push(p);
        return p;
      },
      makeBuffer(name, shape, fill) {
        const values = given(name, shape);
        const init = values ? tf.tensor(values, shape) : tf.fill(shape, fill);
        const value = tf.variable(init, false);
        init.dispose();
        const b: Buffer = { name, value };
        buffers.push(b);
        return b;
      },
    };
  }

  private checkBatch(images: Tensor4D, labels: Int32Array | Uint8Array): number {
    if (this.disposed) throw new InvalidArgumentError('the executor was disposed');
    const [c, h, w] = this.analysis.layers[0].outputShape;
    const s = images.shape;
    if (images.rank !== 4 || s[1] !== h || s[2] !== w || s[3] !== c || s[0] < 1) {
      throw new InvalidArgumentError(
        `images must be [batch, ${h}, ${w}, ${c}] (NHWC) for model ${this.spec.name}, got [${s.join(', ')}]`,
      );
    }
    if (images.dtype !== 'float32') {
      throw new InvalidArgumentError(`images must be float32, got ${images.dtype}`);
    }
    if (labels.length !== s[0]) {
      throw new InvalidArgumentError(`got ${labels.length} labels for a batch of ${s[0]} images`);
    }
    const k = this.spec.numClasses;
    for (const y of labels) {
      if (!(y >= 0 && y < k)) {
        throw new InvalidArgumentError(`label ${y} is outside the model's ${k} classes`);
      }
    }
    return s[0];
  }

  /** Bytes a layer's forward pass allocates (output, plus dropout's mask in training). */
  private forwardNeed(i: number, batch: number, training: boolean): number {
    const l = this.spec.layers[i];
    if (l.kind === 'input' || this.graph.owner[i] !== i) return 0; // a view shares its input's data
    if (l.kind === 'dropout' && !training) return 0;
    const out = this.analysis.layers[i].outputElements * batch * 4;
    return l.kind === 'dropout' ? 2 * out : out;
  }

  /** Bytes a layer's backward pass allocates (input gradients and parameter gradients). */
  private backwardNeed(i: number, batch: number): number {
    const a = this.analysis.layers[i];
    let n = 0;
    a.inputShapes.forEach((s, k) => {
      if (this.graph.needInputGrad[i][k]) n += s.reduce((x, y) => x * y, 1) * batch;
    });
    return (n + a.params) * 4;
  }

  /** Forward + backward on a batch (images NHWC float32, labels class ids); leaves gradients in params[i].grad. */
  async trainStep(
    images: Tensor4D,
    labels: Int32Array | Uint8Array,
    step: number,
  ): Promise<StepResult> {
    const batch = this.checkBatch(images, labels);
    const n = this.layers.length;
    const st = new StepState(n);
    const labelsT = tf.tensor1d(Int32Array.from(labels), 'int32');
    st.scratch.add(labelsT);
    this.meter.track(images);
    this.meter.track(labelsT);
    let stepPeak = 0;
    const note = (inUse: number): void => {
      stepPeak = Math.max(stepPeak, inUse);
      this.peak = Math.max(this.peak, inUse);
    };
    note(this.meter.current());
    const ctx = { training: true, seed: this.seed, step, labels: labelsT };
    let loss: Tensor | null = null;
    let correct: Tensor | null = null;
    const remaining = this.graph.consumers.map((c) => c.length);
    try {
      await this.store.beginStep?.(step);
      for (let i = 0; i < n; i++) {
        await this.store.beginForward?.(i);
        const layer = this.layers[i];
        const { inputs, r } = this.forwardLayer(i, images, st, ctx, batch);
        st.states[i] = [...(r.state ?? [])];
        if (r.mask) st.scratch.add(r.mask);
        if (r.loss) loss = r.loss;
        if (r.correct) correct = r.correct;
        this.meter.track(r.mask);
        this.observer?.onForwardOutput?.(i, layer.spec, r.output, step);
        if (this.graph.needsBackward[i]) {
          for (const role of SAVED_FOR_BACKWARD[layer.spec.kind]) {
            const ts = role === 'input' ? inputs : [role === 'output' ? r.output : r.mask];
            ts.forEach((t, input) => {
              if (!t) throw new Error(`layer ${layer.spec.name} produced no ${role} to save`);
              const info = { layer: layer.spec.name, layerIndex: i, kind: layer.spec.kind, role };
              const handle = this.store.pack(share(t), input > 0 ? { ...info, input } : info);
              st.saved[i].push({ role, input, handle });
            });
          }
        }
        note(this.meter.current());
        if (r.mask) {
          r.mask.dispose();
          st.scratch.delete(r.mask);
        }
        this.freeConsumed(i, st, remaining);
        await this.store.endForward?.(i);
      }
      for (let i = n - 1; i > 0; i--) {
        if (!this.graph.needsBackward[i]) continue;
        await this.store.beginBackward?.(i);
        note(await this.backwardLayer(i, st, batch, labelsT));
        await this.store.endBackward?.(i);
      }
      await this.store.endStep?.(step);
      if (!loss || !correct) throw new Error('the model has no loss layer');
      const lossValue = (await loss.data())[0];
      const correctValue = (await correct.data())[0];
      return { loss: lossValue, correct: correctValue, peakDeviceBytes: stepPeak };
    } catch (e) {
      // A failed step leaves no partial gradients behind.
      for (const p of this.params) {
        p.grad?.dispose();
        p.grad = null;
      }
      throw e;
    } finally {
      st.dispose(this.store);
    }
  }

  /**
   * Runs layer i's forward pass (after checking the device has room for what
   * it allocates) and keeps its output; the loss and correct-count scalars
   * join the step's scratch.
   */
  private forwardLayer(
    i: number,
    images: Tensor4D,
    st: StepState,
    ctx: ForwardContext,
    batch: number,
  ): { inputs: Tensor[]; r: ForwardResult } {
    const layer = this.layers[i];
    const inputs = i === 0 ? [images] : this.graph.inputs[i].map((j) => st.outs[j] as Tensor);
    checkDeviceRoom(
      layer.spec.name,
      'forward',
      this.forwardNeed(i, batch, ctx.training),
      this.meter.current(),
      this.limit,
    );
    const r = layer.forward(inputs, ctx);
    st.outs[i] = r.output;
    this.meter.track(r.output);
    if (r.loss) st.scratch.add(r.loss);
    if (r.correct) st.scratch.add(r.correct);
    return { inputs, r };
  }

  /** After layer i's forward: frees every output whose last forward consumer this was. */
  private freeConsumed(i: number, st: StepState, remaining: number[]): void {
    if (i > 0) {
      for (const j of this.graph.inputs[i]) {
        if (--remaining[j] === 0) {
          st.outs[j]?.dispose();
          st.outs[j] = null;
        }
      }
    }
    if (remaining[i] === 0) {
      st.outs[i]?.dispose();
      st.outs[i] = null;
    }
  }

  private async backwardLayer(
    i: number,
    st: StepState,
    batch: number,
    labels: Tensor,
  ): Promise<number> {
    const layer = this.layers[i];
    const dy = st.grads[i];
    st.grads[i] = null;
    if (dy) st.scratch.add(dy);
    if (!dy && i !== this.layers.length - 1) {
      throw new Error(`layer ${layer.spec.name}: no gradient reached its output`);
    }
    const saved: { input?: Tensor; output?: Tensor; mask?: Tensor; inputs?: Tensor[] } = {};
    for (const s of st.saved[i]) {
      const t = await this.store.unpack(s.handle);
      st.scratch.add(t);
      this.meter.track(t);
      if (s.role === 'input') {
        (saved.inputs ??= [])[s.input] = t;
        if (s.input === 0) saved.input = t;
      } else {
        saved[s.role] = t;
      }
    }
    checkDeviceRoom(
      layer.spec.name,
      'backward',
      this.backwardNeed(i, batch),
      this.meter.current(),
      this.limit,
    );
    const r = layer.backward({
      dy,
      saved,
      state: st.states[i],
      needInputGrad: this.graph.needInputGrad[i],
      labels,
    });
    for (const g of r.inputGrads) {
      if (g) {
        st.scratch.add(g);
        this.meter.track(g);
      }
    }
    for (const g of r.paramGrads) st.scratch.add(g);
    // The peak of this layer: everything it consumed is still alive, and its
    // parameter gradients are not in the parameters yet.
    const inUse = this.meter.current() + r.paramGrads.reduce((a, g) => a + g.size * 4, 0);
    // Free what this layer's backward consumed, then hand its results on.
    for (const t of [dy, saved.output, saved.mask, ...(saved.inputs ?? []), ...st.states[i]]) {
      if (!t) continue;
      t.dispose();
      st.scratch.delete(t);
    }
    st.states[i] = [];
    for (const s of st.saved[i]) this.store.release(s.handle);
    st.saved[i] = [];
    this.graph.inputs[i].forEach((j, k) => {
      const g = r.inputGrads[k];
      if (!g) return;
      st.scratch.delete(g);
      if (!this.graph.needsBackward[j]) {
        g.dispose();
        return;
      }
      const prev = st.grads[j];
      if (prev) {
        st.grads[j] = tf.add(prev, g);
        this.meter.track(st.grads[j]);
        prev.dispose();
        g.dispose();
      } else {
        st.grads[j] = g;
      }
    });
    const frozen = layer.spec.frozen === true;
    layer.params.forEach((p, k) => {
      const g = r.paramGrads[k];
      st.scratch.delete(g);
      if (frozen) {
        g.dispose(); // a frozen layer's parameters take no gradient
        return;
      }
      p.grad?.dispose();
      p.grad = g;
    });
    return inUse;
  }

  /** Forward only (inference mode: dropout off, batchnorm running statistics); saves nothing. */
  async evaluate(
    images: Tensor4D,
    labels: Int32Array | Uint8Array,
  ): Promise<{ loss: number; correct: number }> {
    const batch = this.checkBatch(images, labels);
    const n = this.layers.length;
    const st = new StepState(n);
    const labelsT = tf.tensor1d(Int32Array.from(labels), 'int32');
    st.scratch.add(labelsT);
    this.meter.track(images);
    const ctx = { training: false, seed: this.seed, step: 0, labels: labelsT };
    const remaining = this.graph.consumers.map((c) => c.length);
    let loss: Tensor | null = null;
    let correct: Tensor | null = null;
    try {
      for (let i = 0; i < n; i++) {
        const { r } = this.forwardLayer(i, images, st, ctx, batch);
        for (const t of r.state ?? []) t.dispose();
        if (r.loss) loss = r.loss;
        if (r.correct) correct = r.correct;
        this.peak = Math.max(this.peak, this.meter.current());
        this.freeConsumed(i, st, remaining);
      }
      if (!loss || !correct) throw new Error('the model has no loss layer');
      return { loss: (await loss.data())[0], correct: (await correct.data())[0] };
    } finally {
      st.dispose(this.store);
    }
  }

  /**
   * Forward only, in inference mode (as evaluate), as far as the named layers
   * need; returns their outputs in the order asked, which the caller
   * disposes. No labels: asking for the loss layer gives the softmax
   * probabilities (its loss is computed against class 0 and dropped).
   */
  async infer(images: Tensor4D, layers: readonly string[]): Promise<Tensor[]> {
    const index = new Map(this.spec.layers.map((l, i) => [l.name, i]));
    const wanted = layers.map((name) => {
      const i = index.get(name);
      if (i === undefined) {
        throw new InvalidArgumentError(`model ${this.spec.name} has no layer '${name}'`);
      }
      return i;
    });
    const batch = this.checkBatch(images, new Int32Array(images.shape[0]));
    const st = new StepState(this.layers.length);
    const labelsT = tf.zeros([batch], 'int32');
    st.scratch.add(labelsT);
    this.meter.track(images);
    const ctx = { training: false, seed: this.seed, step: 0, labels: labelsT };
    const remaining = this.graph.consumers.map((c) => c.length);
    for (const i of wanted) remaining[i]++; // kept until returned
    try {
      for (let i = 0; i <= Math.max(0, ...wanted); i++) {
        const { r } = this.forwardLayer(i, images, st, ctx, batch);
        for (const t of r.state ?? []) t.dispose();
        this.peak = Math.max(this.peak, this.meter.current());
        this.freeConsumed(i, st, remaining);
      }
      return wanted.map((i) => share(st.outs[i] as Tensor));
    } finally {
      st.dispose(this.store);
    }
  }

  /** SHA-256 (hex) over every parameter's bytes in order, then every batchnorm buffer's. */
  weightsHash(): string {
    const h = createHash('sha256');
    for (const t of [...this.params, ...this.buffers]) {
      const v = t.value.dataSync();
      h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    }
    return h.digest('hex');
  }

  /**
   * weightsHash() reading the values asynchronously: the same digest, and
   * the only one a backend without synchronous readback (webgpu) can give.
   */
  async weightsHashAsync(): Promise<string> {
    const h = createHash('sha256');
    for (const t of [...this.params, ...this.buffers]) {
      const v = await t.value.data();
      h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    }
    return h.digest('hex');
  }

  /** Frees parameters, gradients and buffers (optimiser slots belong to the optimiser). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
      p.value.dispose();
    }
    for (const b of this.buffers) b.value.dispose();
  }
}
