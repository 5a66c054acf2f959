/**
 * The memory manager: a SavedTensorStore (src/nn/store.ts) that virtualizes
 * device memory as vDNN does, with cDMA's compression in flight.
 *
 * Forward: when a layer saves a tensor that the plan offloads, the compute
 * thread copies its bytes into a staging buffer and the transfer engine
 * (another thread) compresses them and sends them over the link into the
 * host store. The store drops its device reference once the engine reports
 * the transfer done; the end of the last layer that saves the tensor (the
 * layer whose input X it is) waits for that (vDNN's layer synchronisation).
 * Backward: at the start of each layer's backward, the engine is asked to
 * bring back what the next `prefetchAhead` layers (that have offloaded data)
 * will need, in reverse order; unpack waits for it (stall) and copies it
 * into a device tensor.
 *
 * Saved tensors that share a buffer (a ReLU's output that is the next
 * layer's input) are one entry, keyed by the tensor's dataId: the bytes move
 * once, and come back once.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors.js';
import { analyzeModel, type ModelAnalysis } from '../nn/shapes.js';
import type { ModelSpec } from '../nn/spec.js';
import type { SavedHandle, SavedTensorInfo, SavedTensorStore } from '../nn/store.js';
import type { MemoryConfig } from './config.js';
import { bytesPerElementOf, copyIn, copyOut } from './device-copy.js';
import { groupKey, savedGroups, staticPlan, type SavedGroup } from './policy.js';
import { StagingPool } from './staging.js';
import { emptyLayerStats, finishStep, type StepStats } from './stats.js';
import { TraceRecorder } from './trace.js';
import { TransferEngine, type TransferResult } from './transfer-engine.js';
import { planBudget, type BudgetPlan } from './budget.js';
import { chooseDynPlan, type DynChoice, type GroupCost } from './dyn.js';

export interface ManagerSetup {
  readonly config: MemoryConfig;
  readonly spec: ModelSpec;
  /** Examples per step (sizes the budget plan). */
  readonly batch: number;
  /** Current device bytes; default tf.memory().numBytes. */
  readonly deviceBytes?: () => number;
}

interface Entry {
  readonly id: number;
  readonly key: string;
  readonly dataId: object;
  readonly shape: readonly number[];
  readonly dtype: tf.DataType;
  readonly bytes: number;
  readonly offload: boolean;
  /** Layer whose forward end waits for the offload. */
  syncLayer: number;
  /** Largest index of a layer holding a handle: the first backward use. */
  lastUse: number;
  /** The store's device reference (resident, offload in flight, or brought back). */
  device: tf.Tensor | undefined;
  /** Further references packed while the offload was in flight. */
  clones: tf.Tensor[];
  handles: number;
  offloadP?: Promise<void>;
  offloaded: boolean;
  prefetchP?: Promise<void>;
  staging?: Uint8Array;
  /** Bytes the host store holds for it. */
  hostBytes: number;
  dead: boolean;
}

interface Handle extends SavedHandle {
  readonly entry: Entry;
}

const noop = (): void => {};

export class MemoryManager implements SavedTensorStore {
  readonly config: MemoryConfig;
  readonly spec: ModelSpec;
  readonly analysis: ModelAnalysis;
  readonly groups: readonly SavedGroup[];
  readonly batch: number;
  /** One record per finished step. */
  readonly steps: StepStats[] = [];
  readonly trace: TraceRecorder | undefined;

  readonly #engine: TransferEngine | undefined;
  readonly #pool = new StagingPool();
  readonly #deviceBytes: () => number;
  readonly #byDataId = new Map<object, Entry>();
  readonly #pendingSync = new Map<number, Promise<void>[]>();
  #plan: Set<string>;
  #planName: string;
  #budgetPlan: BudgetPlan | undefined;
  #dyn: DynChoice | undefined;
  #nextId = 1;
  #step: StepStats | undefined;
  #stepStart = 0;
  #layerStart = 0;
  /** Time inside the current layer that is not its compute (copies, stalls). */
  #notCompute = 0;
  #backwardStarted = false;
  #prefetchOrder: number[] = [];
  #hostBytes = 0;
  #closed = false;
  readonly #groupCosts = new Map<string, GroupCost>();
  /** Host entries released, freed together at the step's end (each message wakes the engine). */
  #toDrop: number[] = [];
  /** Group key of each (layer, role) the executor packs, and the groups by key. */
  readonly #keys = new Map<string, string>();
  readonly #groupByKey: ReadonlyMap<string, SavedGroup>;

  private constructor(setup: ManagerSetup, engine: TransferEngine | undefined) {
    this.config = setup.config;
    this.spec = setup.spec;
    this.batch = setup.batch;
    this.analysis = analyzeModel(setup.spec);
    this.groups = savedGroups(this.analysis);
    this.#groupByKey = new Map(this.groups.map((g) => [g.key, g]));
    this.#engine = engine;
    this.#deviceBytes = setup.deviceBytes ?? (() => tf.memory().numBytes);
    this.trace = setup.config.tracePath !== undefined ? new TraceRecorder() : undefined;
    const p = setup.config.policy;
    // dyn profiles its first step with everything offloaded (memory-safest), then chooses.
    this.#plan = staticPlan(p === 'dyn' ? 'all' : p, this.groups);
    this.#planName = p === 'dyn' ? 'dyn:profile(all)' : p;
  }

  /** Starts the transfer engine (unless the policy keeps everything). */
  static async create(setup: ManagerSetup): Promise<MemoryManager> {
    const { config } = setup;
    if (!Number.isSafeInteger(setup.batch) || setup.batch <= 0) {
      throw new InvalidArgumentError(`batch must be a positive integer, got ${setup.batch}`);
    }
    if (!Number.isSafeInteger(config.prefetchAhead) || config.prefetchAhead < 0) {
      throw new InvalidArgumentError(
        `--prefetch-ahead must be a non-negative integer, got ${config.prefetchAhead}`,
      );
    }
    const engine =
      config.policy === 'none'
        ? undefined
        : await TransferEngine.start({
            codec: config.codec,
            link: {
              bytesPerSecond: config.link.bytesPerSecond,
              latencySeconds: config.link.latencySeconds,
            },
            hostStore: config.hostStore,
          });
    return new MemoryManager(setup, engine);
  }

  /** The device-peak estimates made before the first step (undefined before it). */
  get budgetPlan(): BudgetPlan | undefined {
    return this.#budgetPlan;
  }
  /** What dyn chose after profiling (undefined before, or for other policies). */
  get dynChoice(): DynChoice | undefined {
    return this.#dyn;
  }
  /** The group keys offloaded in the current step. */
  get plan(): ReadonlySet<string> {
    return this.#plan;
  }
  get planName(): string {
    return this.#planName;
  }
  /** Entries the store holds (0 between steps when the executor released everything). */
  get liveEntries(): number {
    return this.#byDataId.size;
  }
  /** Per saved group: the last step's transfer times (what dyn plans with). */
  get groupCosts(): ReadonlyMap<string, GroupCost> {
    return this.#groupCosts;
  }
  /** For fault-injection tests: the engine, if any. */
  get engine(): TransferEngine | undefined {
    return this.#engine;
  }

  // ---- step and layer hooks --------------------------------------------------

  beginStep(step: number): void {
    this.#throwIfFailed();
    if (this.steps.length === 0 && this.#step === undefined) {
      this.#budgetPlan = planBudget(this, this.#deviceBytes());
      if (this.config.policy === 'dyn' && this.#budgetPlan.fitsWithoutOffload) {
        // Everything fits: dyn is the oracle, no profiling needed (vDNN_dyn's first check).
        this.#plan = new Set();
        this.#planName = 'dyn:none';
      }
    }
    // A step that failed part-way never reached endStep: forget what it left.
    this.#pendingSync.clear();
    const now = performance.now();
    this.#stepStart = now;
    this.#backwardStarted = false;
    this.#prefetchOrder = [];
    this.#step = {
      step,
      plan: this.#planName,
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
      peakHostBytes: this.#hostBytes,
      layers: this.spec.layers.map((l, i) => emptyLayerStats(i, l.name, l.kind)),
    };
    this.#sampleDevice();
  }

  async endStep(step: number): Promise<void> {
    const s = this.#requireStep('endStep');
    // Offloads of tensors nobody synchronised on (none in a well-formed run).
    for (const list of this.#pendingSync.values()) await Promise.all(list);
    this.#pendingSync.clear();
    this.#engine?.drop(this.#toDrop);
    this.#toDrop = [];
    this.#sampleDevice();
    const end = performance.now();
    s.stepMs = end - this.#stepStart;
    s.deviceBytes = this.#deviceBytes();
    this.trace?.span('compute', `step ${step}`, 'step', this.#stepStart, end, { plan: s.plan });
    this.steps.push(finishStep(s));
    this.#step = undefined;
    if (
      this.config.policy === 'dyn' &&
      this.#dyn === undefined &&
      this.#planName.startsWith('dyn:profile')
    ) {
      this.#dyn = chooseDynPlan(this, s);
      this.#plan = new Set(this.#dyn.plan);
      this.#planName = `dyn:${this.#dyn.name}`;
    }
  }

  beginForward(_layerIndex: number): void {
    this.#throwIfFailed();
    this.#layerStart = performance.now();
    this.#notCompute = 0;
    this.#sampleDevice();
  }

  async endForward(layerIndex: number): Promise<void> {
    const s = this.#requireStep('endForward');
    const t0 = performance.now();
    const l = s.layers[layerIndex];
    l.forwardMs += t0 - this.#layerStart - this.#notCompute;
    this.#notCompute = 0;
    const pending = this.#pendingSync.get(layerIndex);
    if (pending) {
      this.#pendingSync.delete(layerIndex);
      await Promise.all(pending);
    }
    const t1 = performance.now();
    this.#sampleDevice();
    if (pending) {
      l.forwardStallMs += t1 - t0;
      if (t1 - t0 > 0.01) this.trace?.span('compute', 'wait offload', 'stall', t0, t1);
    }
    this.trace?.span('compute', this.spec.layers[layerIndex].name, 'forward', this.#layerStart, t1);
    s.forwardMs += t1 - this.#layerStart;
  }

  beginBackward(layerIndex: number): void {
    this.#throwIfFailed();
    if (!this.#backwardStarted) {
      this.#backwardStarted = true;
      this.#prefetchOrder = this.#backwardOrder();
    }
    this.#layerStart = performance.now();
    this.#notCompute = 0;
    this.#prefetchFor(layerIndex);
    this.#sampleDevice();
  }

  endBackward(layerIndex: number): void {
    const s = this.#requireStep('endBackward');
    const t = performance.now();
    const l = s.layers[layerIndex];
    l.backwardMs += t - this.#layerStart - this.#notCompute;
    this.#notCompute = 0;
    this.trace?.span(
      'compute',
      `${this.spec.layers[layerIndex].name} backward`,
      'backward',
      this.#layerStart,
      t,
    );
    s.backwardMs += t - this.#layerStart;
    this.#sampleDevice();
  }

  // ---- the saved-tensor seam ---------------------------------------------------

  pack(t: tf.Tensor, info: SavedTensorInfo): SavedHandle {
    this.#throwIfFailed();
    let e = this.#byDataId.get(t.dataId);
    if (e && !e.dead) {
      e.handles++;
      e.lastUse = Math.max(e.lastUse, info.layerIndex);
      if (e.offload && !e.offloaded && e.offloadP) {
        e.clones.push(t);
        if (info.layerIndex > e.syncLayer) this.#moveSync(e, info.layerIndex);
      } else {
        t.dispose(); // the entry already holds (or held) these bytes
      }
    } else {
      e = this.#newEntry(t, info);
    }
    return {
      id: this.#nextId++,
      info,
      shape: [...t.shape],
      dtype: t.dtype,
      bytes: e.bytes,
      entry: e,
    } as Handle;
  }

  unpack(h: SavedHandle): tf.Tensor | Promise<tf.Tensor> {
    const e = (h as Handle).entry;
    if (!e || e.dead) throw new InvalidArgumentError(`saved tensor ${h.id} was already released`);
    if (e.device) return view(e.device, h.shape);
    return this.#bringBack(e, h);
  }

  release(h: SavedHandle): void {
    const e = (h as Handle).entry;
    if (!e || e.dead) return;
    if (--e.handles > 0) return;
    e.dead = true;
    this.#byDataId.delete(e.dataId);
    e.device?.dispose();
    e.device = undefined;
    for (const c of e.clones) c.dispose();
    e.clones = [];
    if (e.offload && this.#engine) {
      // Free the host copy once whatever is in flight for it is over.
      const after = e.prefetchP ?? e.offloadP ?? Promise.resolve();
      after.then(() => {
        if (e.staging) {
          this.#pool.release(e.staging);
          e.staging = undefined;
        }
        if (e.offloaded) {
          this.#toDrop.push(e.id);
          this.#hostBytes -= e.hostBytes;
          e.hostBytes = 0;
        }
      }, noop);
    }
  }

  // ---- internals ----------------------------------------------------------------

  #newEntry(t: tf.Tensor, info: SavedTensorInfo): Entry {
    const cacheKey = `${info.layerIndex}:${info.role}`;
    let key = this.#keys.get(cacheKey);
    if (key === undefined) {
      key = groupKey(this.spec, info.layerIndex, info.role);
      this.#keys.set(cacheKey, key);
    }
    const group = this.#groupByKey.get(key);
    const offload = this.#engine !== undefined && this.#plan.has(key);
    const bytes = t.size * bytesPerElementOf(t.dtype);
    const e: Entry = {
      id: this.#nextId++,
      key,
      dataId: t.dataId,
      shape: [...t.shape],
      dtype: t.dtype,
      bytes,
      offload,
      syncLayer: Math.max(info.layerIndex, group?.lastSave ?? info.layerIndex),
      lastUse: info.layerIndex,
      device: t,
      clones: [],
      handles: 1,
      offloaded: false,
      hostBytes: 0,
      dead: false,
    };
    this.#byDataId.set(t.dataId, e);
    if (offload) this.#startOffload(e, info.layerIndex);
    return e;
  }

  #startOffload(e: Entry, layerIndex: number): void {
    const engine = this.#engine!;
    const s = this.#requireStep('pack');
    const t0 = performance.now();
    const staging = this.#pool.acquire(e.bytes);
    copyOut(e.device!, staging);
    s.layers[layerIndex].copyOutMs += performance.now() - t0;
    // The layer's compute time excludes the copy (it is accounted as copyOutMs).
    this.#notCompute += performance.now() - t0;
    const elementBytes = bytesPerElementOf(e.dtype);
    const p = engine.offload(e.id, staging, elementBytes).then(
      (r) => {
        this.#pool.release(staging);
        e.offloaded = true;
        e.hostBytes = r.linkBytes;
        this.#hostBytes += r.linkBytes;
        e.device?.dispose();
        e.device = undefined;
        for (const c of e.clones) c.dispose();
        e.clones = [];
        this.#recordOffload(e, r);
      },
      (err: unknown) => {
        this.#pool.release(staging);
        throw err;
      },
    );
    p.catch(noop);
    e.offloadP = p;
    this.#addSync(e.syncLayer, p);
  }

  #addSync(layer: number, p: Promise<void>): void {
    const list = this.#pendingSync.get(layer);
    if (list) list.push(p);
    else this.#pendingSync.set(layer, [p]);
  }

  #moveSync(e: Entry, layer: number): void {
    const list = this.#pendingSync.get(e.syncLayer);
    const p = e.offloadP!;
    if (list) {
      const i = list.indexOf(p);
      if (i >= 0) list.splice(i, 1);
    }
    e.syncLayer = layer;
    this.#addSync(layer, p);
  }

  #recordOffload(e: Entry, r: TransferResult): void {
    const s = this.#step;
    if (s) {
      const l = s.layers[e.syncLayer];
      l.offloadedRawBytes += r.rawBytes;
      l.offloadedLinkBytes += r.linkBytes;
      if (r.nonZero >= 0) {
        l.offloadedElements += r.rawBytes / 4;
        l.offloadedNonZero += r.nonZero;
      }
      l.offloadMs += r.endMs - r.startMs;
      s.offloads++;
      const c = this.#groupCosts.get(e.key);
      this.#groupCosts.set(e.key, {
        offloadMs: r.endMs - r.startMs,
        prefetchMs: c?.prefetchMs ?? 0,
        rawBytes: r.rawBytes,
      });
      s.peakHostBytes = Math.max(s.peakHostBytes, this.#hostBytes);
    }
    this.trace?.span('transfer', `offload ${e.key}`, 'offload', r.startMs, r.endMs, {
      rawBytes: r.rawBytes,
      linkBytes: r.linkBytes,
      ratio: r.linkBytes > 0 ? +(r.rawBytes / r.linkBytes).toFixed(3) : 1,
      codecMs: +r.codecMs.toFixed(3),
      linkMs: +r.linkMs.toFixed(3),
    });
  }

  /** Offloaded entries' first backward layers, descending (the prefetch order). */
  #backwardOrder(): number[] {
    const layers = new Set<number>();
    for (const e of this.#byDataId.values()) if (e.offload && !e.dead) layers.add(e.lastUse);
    return [...layers].sort((a, b) => b - a);
  }

  /** At layer i's backward start: request what layer i and the next prefetchAhead offloading layers need. */
  #prefetchFor(layerIndex: number): void {
    const ahead = this.config.prefetchAhead;
    const want = new Set<number>();
    let taken = 0;
    for (const l of this.#prefetchOrder) {
      if (l >= layerIndex) want.add(l);
      else if (taken < ahead) {
        want.add(l);
        taken++;
      }
    }
    if (want.size === 0) return;
    for (const e of this.#byDataId.values()) {
      if (e.offload && !e.dead && !e.prefetchP && !e.device && want.has(e.lastUse))
        this.#issuePrefetch(e);
    }
  }

  #issuePrefetch(e: Entry): void {
    const engine = this.#engine!;
    const staging = this.#pool.acquire(e.bytes);
    e.staging = staging;
    const p = (e.offloadP ?? Promise.resolve())
      .then(() => engine.prefetch(e.id, staging))
      .then((r) => {
        const s = this.#step;
        if (s) {
          const l = s.layers[e.lastUse];
          l.prefetchedLinkBytes += r.linkBytes;
          l.prefetchMs += r.endMs - r.startMs;
        }
        const c = this.#groupCosts.get(e.key);
        this.#groupCosts.set(e.key, {
          offloadMs: c?.offloadMs ?? 0,
          prefetchMs: r.endMs - r.startMs,
          rawBytes: r.rawBytes,
        });
        this.trace?.span('transfer', `prefetch ${e.key}`, 'prefetch', r.startMs, r.endMs, {
          rawBytes: r.rawBytes,
          linkBytes: r.linkBytes,
          codecMs: +r.codecMs.toFixed(3),
          linkMs: +r.linkMs.toFixed(3),
        });
      });
    p.catch(noop);
    e.prefetchP = p;
  }

  async #bringBack(e: Entry, h: SavedHandle): Promise<tf.Tensor> {
    if (!e.prefetchP) this.#issuePrefetch(e);
    const t0 = performance.now();
    await e.prefetchP;
    const t1 = performance.now();
    const s = this.#step;
    const layer = h.info.layerIndex;
    if (s) s.layers[layer].backwardStallMs += t1 - t0;
    this.#notCompute += t1 - t0;
    if (t1 - t0 > 0.01) this.trace?.span('compute', 'wait prefetch', 'stall', t0, t1);
    if (e.dead) throw new InvalidArgumentError(`saved tensor ${h.id} was released while unpacking`);
    if (!e.device) {
      e.device = copyIn(e.staging!, e.shape, e.dtype);
      this.#pool.release(e.staging!);
      e.staging = undefined;
      const t2 = performance.now();
      if (s) s.layers[layer].copyInMs += t2 - t1;
      this.#notCompute += t2 - t1;
    }
    this.#sampleDevice();
    return view(e.device, h.shape);
  }

  #sampleDevice(): void {
    const s = this.#step;
    if (!s) return;
    const b = this.#deviceBytes();
    if (b > s.peakDeviceBytes) s.peakDeviceBytes = b;
  }

  #requireStep(where: string): StepStats {
    if (!this.#step) throw new InvalidArgumentError(`memory manager: ${where} outside a step`);
    return this.#step;
  }

  #throwIfFailed(): void {
    const f = this.#engine?.failure;
    if (f) throw f;
    if (this.#closed) throw new InvalidArgumentError('memory manager is closed');
  }

  /** Stops the engine, frees host memory and writes the trace (if asked). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const e of this.#byDataId.values()) {
      e.device?.dispose();
      for (const c of e.clones) c.dispose();
    }
    this.#byDataId.clear();
    await this.#engine?.close();
    this.#pool.clear();
    if (this.trace && this.config.tracePath) this.trace.write(this.config.tracePath);
  }
}

/**
 * A new reference to `t`'s bytes in `shape` (the executor disposes it). A
 * reshape shares the buffer; tf.clone would copy it on the wasm backend.
 */
function view(t: tf.Tensor, shape: readonly number[]): tf.Tensor {
  return tf.reshape(t, [...shape]);
}
