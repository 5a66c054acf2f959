/**
 * The memory manager: a SavedTensorStore (src/nn/store.ts) that virtualizes
 * device memory as vDNN does, with cDMA's compression in flight. It
 * coordinates; the model plan (src/plan) says what each saved buffer is, the
 * residency state machine (residency.ts) where its bytes are, the transfer
 * engine (another thread) moves them, and listeners (accounting.ts) keep the
 * statistics and the trace.
 *
 * Forward: when a layer saves a buffer that the offload set names, the
 * compute thread copies its bytes into a staging buffer and the transfer
 * engine compresses them and sends them over the link into the host store.
 * The device reference is dropped once the engine reports the transfer done;
 * the end of the last layer that saves the buffer (the layer whose input X
 * it is) waits for that (vDNN's layer synchronisation).
 * Backward: at the start of each layer's backward, the engine is asked to
 * bring back what the next `prefetchAhead` layers (that have offloaded data)
 * will need, in reverse order; unpack waits for it (stall) and copies it
 * into a device tensor.
 *
 * Saved tensors that share a buffer (a ReLU's output that is the next
 * layer's input) are one entry, keyed by the tensor's dataId: the bytes move
 * once, and come back once.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CdmaError, CorruptDataError, InvalidArgumentError } from '../errors.js';
import { TransferEngineError } from './errors.js';
import type { ModelSpec } from '../nn/spec.js';
import type { SavedHandle, SavedTensorInfo, SavedTensorStore } from '../nn/store.js';
import { backwardOrder, ModelPlan, prefetchWindowLength, type SavedBuffer } from '../plan/index.js';
import { StatsListener, TraceListener, type ManagerListener } from './accounting.js';
import { planBudget, type BudgetPlan } from './budget.js';
import type { MemoryConfig } from './config.js';
import { bytesPerElementOf, copyIn, copyOut } from './device-copy.js';
import { chooseDynPlan, type DynChoice, type GroupCost } from './dyn.js';
import { Residency, ResidencyState } from './residency.js';
import { StagingPool } from './staging.js';
import type { StepStats } from './stats.js';
import { TraceRecorder } from './trace.js';
import { SourceCodec } from './source-codec.js';
import { GpuSource } from './gpu-source.js';
import { checkContainer } from './host-store.js';
import type { SourceContainer } from './source-container.js';
import { TransferEngine, type Job } from './transfer-engine.js';

export interface ManagerSetup {
  readonly config: MemoryConfig;
  readonly spec: ModelSpec;
  /** Examples per step (sizes the budget plan). */
  readonly batch: number;
  /** Current device bytes; default tf.memory().numBytes. */
  readonly deviceBytes?: () => number;
}

/** One saved buffer of the current step, however many handles share it. */
interface Entry {
  readonly id: number;
  readonly key: string;
  readonly dataId: object;
  readonly shape: readonly number[];
  readonly dtype: tf.DataType;
  readonly bytes: number;
  /** The offload set names it (fixed when the entry is made). */
  readonly offload: boolean;
  readonly residency: ResidencyState;
  /** Layer whose forward end waits for the offload. */
  syncLayer: number;
  /** Largest index of a layer holding a handle: the first backward use. */
  lastUse: number;
  /** The store's device reference (device, offloading, restored). */
  device: tf.Tensor | undefined;
  /** Further references packed while the offload was in flight. */
  clones: tf.Tensor[];
  handles: number;
  offloadJob?: Job;
  prefetchJob?: Job;
  /** Raw bytes for a codec on the engine thread (staging), or a spill container coming back. */
  staging?: Uint8Array;
  /** The container written at the source (sealed jobs): its host block while the host store holds it in RAM. */
  container?: SourceContainer;
  /** The host store holds it (from the offload's end until it is dropped). */
  onHost: boolean;
  /** Bytes the host store holds for it. */
  hostBytes: number;
  /** It went out as a container written at the source (comes back through the source codec). */
  sealedOut?: boolean;
  /** On webgpu: the copy across the GPU's link, settled once the offload job is submitted (offloadJob set). */
  gpuOut?: Promise<void>;
  /** Its fingerprint (XOR of its frame CRCs), from the engine once it sealed it; -1 unknown. */
  fingerprint: number;
  /** That container's length, and its offset in its host block. */
  sealedBytes: number;
  sealedStart: number;
}

interface Handle extends SavedHandle {
  readonly entry: Entry;
}

export class MemoryManager implements SavedTensorStore {
  readonly config: MemoryConfig;
  readonly spec: ModelSpec;
  readonly modelPlan: ModelPlan;
  readonly batch: number;
  readonly trace: TraceRecorder | undefined;

  readonly #engine: TransferEngine | undefined;
  /** Compression at the source (wasm backend, zvc or none), if available. */
  #source: SourceCodec | undefined;
  /** The webgpu backend's link (every offload there goes through it). */
  #gpu: GpuSource | undefined;
  /** Whether #source and #gpu are chosen (at the first step: by then the backend is set). */
  #sourcesChosen = false;
  /** The first failure of a copy across the GPU's link. */
  #gpuFailure: unknown;
  #checkedHere = 0;
  /** Container length of each buffer last time (sizes its host block). */
  readonly #hints = new Map<string, number>();
  readonly #pool = new StagingPool();
  readonly #deviceBytes: () => number;
  readonly #byDataId = new Map<object, Entry>();
  readonly #pendingSync = new Map<number, Entry[]>();
  readonly #stats: StatsListener;
  readonly #listeners: ManagerListener[];
  #offloaded: Set<string>;
  #planName: string;
  #budgetPlan: BudgetPlan | undefined;
  #dyn: DynChoice | undefined;
  #nextId = 1;
  #inStep = false;
  #stepStart = 0;
  #layerStart = 0;
  /** Time inside the current layer that is not its compute (copies, stalls). */
  #notCompute = 0;
  #backwardStarted = false;
  #prefetchOrder: number[] = [];
  /** The offloaded entries by their first backward use (made when the backward pass starts). */
  #byLastUse = new Map<number, Entry[]>();
  /** Layers of #prefetchOrder whose entries #prefetchFor has looked at this step. */
  #prefetchScanned = 0;
  /** Entries of those layers that were not on the host yet. */
  #prefetchLater: Entry[] = [];
  /** This step's last prefetch job (jobs finish in order). */
  #lastPrefetch: Job | undefined;
  #hostBytes = 0;
  #closed = false;
  /** Host entries released, freed together at the step's end. */
  #toDrop: Entry[] = [];
  /** Buffer key of each (layer, role) the executor packs. */
  readonly #keys = new Map<string, string>();

  private constructor(setup: ManagerSetup, engine: TransferEngine | undefined) {
    this.config = setup.config;
    this.spec = setup.spec;
    this.batch = setup.batch;
    this.modelPlan = ModelPlan.of(setup.spec);
    this.#engine = engine;
    // On webgpu, compressed payloads on their way out are device memory too.
    this.#deviceBytes =
      setup.deviceBytes ?? (() => tf.memory().numBytes + (this.#gpu?.inFlightBytes ?? 0));
    this.#stats = new StatsListener(setup.spec);
    this.#listeners = [this.#stats];
    if (setup.config.tracePath !== undefined) {
      this.trace = new TraceRecorder();
      this.#listeners.push(new TraceListener(this.trace, setup.spec));
    }
    const p = setup.config.policy;
    // dyn profiles its first step with everything offloaded (memory-safest), then chooses.
    this.#offloaded = this.modelPlan.offloadSet(p === 'dyn' ? 'all' : p);
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
    // One wake of the engine per layer boundary (endForward, beginBackward), not one per job.
    if (engine) engine.batchWakes = true;
    return new MemoryManager(setup, engine);
  }

  /** The saved buffers the manager can move (the plan's device buffers). */
  get buffers(): readonly SavedBuffer[] {
    return this.modelPlan.deviceBuffers;
  }
  /** One record per finished step. */
  get steps(): readonly StepStats[] {
    return this.#stats.steps;
  }
  /** The device-peak estimates made before the first step (undefined before it). */
  get budgetPlan(): BudgetPlan | undefined {
    return this.#budgetPlan;
  }
  /** What dyn chose after profiling (undefined before, or for other policies). */
  get dynChoice(): DynChoice | undefined {
    return this.#dyn;
  }
  /** The buffer keys offloaded in the current step. */
  get offloaded(): ReadonlySet<string> {
    return this.#offloaded;
  }
  get planName(): string {
    return this.#planName;
  }
  /** Entries the store holds (0 between steps when the executor released everything). */
  get liveEntries(): number {
    return this.#byDataId.size;
  }
  /** Per saved buffer: the last step's transfer times (what dyn plans with). */
  get groupCosts(): ReadonlyMap<string, GroupCost> {
    return this.#stats.costs;
  }
  /**
   * Prefetched containers this thread checked itself because the engine
   * thread had not yet when they were needed (since the manager started).
   */
  get prefetchesCheckedHere(): number {
    return this.#checkedHere;
  }
  /** For fault-injection tests: the engine, if any. */
  get engine(): TransferEngine | undefined {
    return this.#engine;
  }

  // ---- step and layer hooks --------------------------------------------------

  beginStep(step: number): void {
    this.#throwIfFailed();
    if (!this.#sourcesChosen) this.#chooseSources();
    if (this.steps.length === 0 && !this.#inStep) {
      this.#budgetPlan = planBudget(
        {
          plan: this.modelPlan,
          batch: this.batch,
          config: this.config,
          offloaded: this.#offloaded,
        },
        this.#deviceBytes(),
      );
      if (this.config.policy === 'dyn' && this.#budgetPlan.fitsWithoutOffload) {
        // Everything fits: dyn is the oracle, no profiling needed (vDNN_dyn's first check).
        this.#offloaded = new Set();
        this.#planName = 'dyn:none';
      }
    }
    // A step that failed part-way never reached endStep: forget what it left.
    this.#pendingSync.clear();
    this.#inStep = true;
    this.#stepStart = performance.now();
    this.#backwardStarted = false;
    this.#prefetchOrder = [];
    this.#byLastUse = new Map();
    this.#prefetchScanned = 0;
    this.#prefetchLater = [];
    this.#lastPrefetch = undefined;
    for (const l of this.#listeners)
      l.stepBegan?.(step, this.#planName, this.#stepStart, this.#hostBytes);
    this.#sampleDevice();
  }

  async endStep(step: number): Promise<void> {
    this.#requireStep('endStep');
    // Offloads of tensors nobody synchronised on (none in a well-formed run).
    for (const list of this.#pendingSync.values()) await this.#waitAll(list);
    // A prefetch this thread checked itself can still be on the engine thread; the step's
    // statistics count it, so the step ends once it is done (jobs finish in order: the last).
    const last = this.#lastPrefetch;
    this.#lastPrefetch = undefined;
    if (last) {
      this.#engine!.poll();
      if (!last.settled) await this.#engine!.wait(last);
    }
    this.#engine?.kick();
    this.#pendingSync.clear();
    this.#dropHost();
    this.#sampleDevice();
    const end = performance.now();
    const device = this.#deviceBytes();
    for (const l of this.#listeners)
      l.stepEnded?.(step, this.#planName, this.#stepStart, end, device);
    this.#inStep = false;
    if (
      this.config.policy === 'dyn' &&
      this.#dyn === undefined &&
      this.#planName.startsWith('dyn:profile')
    ) {
      this.#dyn = chooseDynPlan(
        {
          plan: this.modelPlan,
          batch: this.batch,
          config: this.config,
          budgetPlan: this.#budgetPlan,
          groupCosts: this.groupCosts,
        },
        this.steps[this.steps.length - 1],
      );
      this.#offloaded = new Set(this.#dyn.plan);
      this.#planName = `dyn:${this.#dyn.name}`;
    }
  }

  beginForward(_layerIndex: number): void {
    this.#throwIfFailed();
    this.#engine?.poll();
    this.#layerStart = performance.now();
    this.#notCompute = 0;
    this.#sampleDevice();
  }

  async endForward(layerIndex: number): Promise<void> {
    this.#requireStep('endForward');
    const t0 = performance.now();
    const computeMs = t0 - this.#layerStart - this.#notCompute;
    this.#notCompute = 0;
    // The offloads this layer packed start now: one wake of the engine for all of them (the
    // engine is a batch thread: waking it does not take the core from this one). Left for a
    // later wake, they delayed the first prefetches behind every checksum of the forward pass
    // (squeezenet-small, batch 64: backward stalls of 5-17 ms in three layers, 1 ms with it).
    this.#engine?.kick();
    const pending = this.#pendingSync.get(layerIndex);
    if (pending) {
      this.#pendingSync.delete(layerIndex);
      const w = this.#waitAll(pending);
      if (w) await w;
    }
    const t1 = performance.now();
    this.#sampleDevice();
    for (const l of this.#listeners) {
      l.forwardEnded?.(layerIndex, this.#layerStart, computeMs, t0, t1, pending !== undefined);
    }
  }

  beginBackward(layerIndex: number): void {
    this.#throwIfFailed();
    if (!this.#backwardStarted) {
      this.#backwardStarted = true;
      const byLastUse = new Map<number, Entry[]>();
      for (const e of this.#offloadedEntries()) {
        const list = byLastUse.get(e.lastUse);
        if (list) list.push(e);
        else byLastUse.set(e.lastUse, [e]);
      }
      this.#byLastUse = byLastUse;
      this.#prefetchOrder = backwardOrder([...byLastUse.keys()]);
      this.#prefetchScanned = 0;
      this.#prefetchLater = [];
    }
    this.#layerStart = performance.now();
    this.#notCompute = 0;
    this.#engine?.poll();
    this.#prefetchFor(layerIndex);
    this.#engine?.kick();
    this.#sampleDevice();
  }

  endBackward(layerIndex: number): void {
    this.#requireStep('endBackward');
    this.#engine?.poll();
    const t = performance.now();
    const computeMs = t - this.#layerStart - this.#notCompute;
    this.#notCompute = 0;
    for (const l of this.#listeners) l.backwardEnded?.(layerIndex, this.#layerStart, computeMs, t);
    this.#sampleDevice();
  }

  // ---- the saved-tensor seam ---------------------------------------------------

  pack(t: tf.Tensor, info: SavedTensorInfo): SavedHandle {
    this.#throwIfFailed();
    let e = this.#byDataId.get(t.dataId);
    if (e && !e.residency.is(Residency.Released)) {
      e.handles++;
      e.lastUse = Math.max(e.lastUse, info.layerIndex);
      if (e.residency.is(Residency.Offloading)) {
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
    if (!e || e.residency.is(Residency.Released)) {
      throw new InvalidArgumentError(`saved tensor ${h.id} was already released`);
    }
    if (e.device) return view(e.device, h.shape);
    return this.#bringBack(e, h);
  }

  release(h: SavedHandle): void {
    const e = (h as Handle).entry;
    if (!e || e.residency.is(Residency.Released)) return;
    if (--e.handles > 0) return;
    e.residency.moveTo(Residency.Released);
    this.#byDataId.delete(e.dataId);
    this.#dropDevice(e);
    if (e.offload && this.#engine) {
      // Free the host copy once whatever is in flight for it is over.
      const free = () => {
        if (e.staging) {
          this.#pool.release(e.staging);
          e.staging = undefined;
        }
        if (e.onHost) {
          this.#toDrop.push(e);
          this.#hostBytes -= e.hostBytes;
          e.hostBytes = 0;
          e.onHost = false;
        } else this.#releaseContainer(e);
      };
      const inFlight = e.prefetchJob ?? e.offloadJob;
      if (inFlight) inFlight.whenSettled(free);
      else if (e.gpuOut)
        e.gpuOut.then(
          () => (e.offloadJob ? e.offloadJob.whenSettled(free) : free()),
          () => free(),
        );
      else free();
    }
  }

  // ---- internals ----------------------------------------------------------------

  /**
   * Where offloads start, for the backend the steps run on: from GPU
   * buffers (webgpu), compressed at the source in the heap (wasm, zvc or
   * none), or staged for the engine thread's codec.
   */
  #chooseSources(): void {
    this.#sourcesChosen = true;
    if (!this.#engine) return;
    const atSource = this.config.atSource !== false;
    this.#gpu = GpuSource.create(this.config.codec.id, atSource);
    if (!this.#gpu && atSource) this.#source = SourceCodec.create(this.config.codec.id);
  }

  #keyOf(info: SavedTensorInfo): string {
    const cacheKey = `${info.layerIndex}:${info.role}:${info.input ?? 0}`;
    let key = this.#keys.get(cacheKey);
    if (key === undefined) {
      key = this.modelPlan.keyOf(info.layerIndex, info.role, info.input ?? 0);
      this.#keys.set(cacheKey, key);
    }
    return key;
  }

  #newEntry(t: tf.Tensor, info: SavedTensorInfo): Entry {
    const key = this.#keyOf(info);
    const buffer = this.modelPlan.deviceBuffer(key);
    const offload = this.#engine !== undefined && this.#offloaded.has(key);
    const e: Entry = {
      id: this.#nextId++,
      key,
      dataId: t.dataId,
      shape: [...t.shape],
      dtype: t.dtype,
      bytes: t.size * bytesPerElementOf(t.dtype),
      offload,
      residency: new ResidencyState(`saved buffer ${key}`),
      syncLayer: Math.max(info.layerIndex, buffer?.lastSave ?? info.layerIndex),
      lastUse: info.layerIndex,
      device: t,
      clones: [],
      handles: 1,
      onHost: false,
      hostBytes: 0,
      fingerprint: -1,
      sealedBytes: 0,
      sealedStart: 0,
    };
    this.#byDataId.set(t.dataId, e);
    if (offload) this.#startOffload(e, info.layerIndex);
    return e;
  }

  #startOffload(e: Entry, layerIndex: number): void {
    const engine = this.#engine!;
    this.#requireStep('pack');
    e.residency.moveTo(Residency.Offloading);
    const t0 = performance.now();
    if (this.#gpu) this.#startGpuOffload(e, this.#gpu);
    else if (this.#source?.handles(e.device!)) {
      // Compression at the source: the container goes straight from the heap into host memory.
      const c = this.#source.encode(e.device!, this.#pool, this.#hints.get(e.key) ?? 0);
      this.#hints.set(e.key, c.bytes.byteLength);
      this.#sealOut(e, c);
      this.#offloadSubmitted(e, engine.submitOffloadSealed(e.id, c.bytes, e.bytes, c.nonZero));
    } else {
      const staging = this.#pool.acquire(e.bytes);
      copyOut(e.device!, staging);
      this.#offloadSubmitted(
        e,
        engine.submitOffloadRaw(e.id, staging, bytesPerElementOf(e.dtype)),
        staging,
      );
    }
    const ms = performance.now() - t0;
    for (const l of this.#listeners) l.copiedOut?.(layerIndex, ms);
    // The layer's compute time excludes the copy (it is accounted as copy-out time).
    this.#notCompute += ms;
    this.#addSync(e.syncLayer, e);
  }

  #sealOut(e: Entry, c: SourceContainer): void {
    e.container = c;
    e.sealedOut = true;
    e.sealedBytes = c.bytes.byteLength;
    e.sealedStart = c.bytes.byteOffset;
  }

  /**
   * On webgpu: the copy across the GPU's link is queued now (the device
   * tensor may go at once); the engine job (checksums, host store, modelled
   * link) is submitted when its bytes are in host memory.
   */
  #startGpuOffload(e: Entry, gpu: GpuSource): void {
    const engine = this.#engine!;
    if (!gpu.handles(e.device!))
      throw new InvalidArgumentError(`cannot offload a ${e.dtype} tensor from the GPU`);
    let across: Promise<void>;
    if (gpu.mode !== 'raw') {
      across = gpu.offloadSealed(e.device!, this.#pool).then((c) => {
        if (this.#closed) return void this.#pool.release(c.block);
        this.#sealOut(e, c);
        this.#offloadSubmitted(e, engine.submitOffloadSealed(e.id, c.bytes, e.bytes, c.nonZero));
      });
    } else {
      const staging = this.#pool.acquire(e.bytes);
      across = gpu.readRaw(e.device!, staging).then(
        () => {
          if (this.#closed) return void this.#pool.release(staging);
          this.#offloadSubmitted(e, engine.submitOffloadRaw(e.id, staging, 4), staging);
        },
        (err: unknown) => {
          this.#pool.release(staging);
          throw err;
        },
      );
    }
    e.gpuOut = across.then(
      () => engine.kick(),
      (err: unknown) => {
        // A lost device or a failed mapping (WebGPU's own errors) ends the run with a typed error.
        const typed =
          err instanceof CdmaError
            ? err
            : new TransferEngineError(
                `offloading ${e.key} from the GPU failed: ${err instanceof Error ? err.message : String(err)}`,
              );
        this.#gpuFailure ??= typed;
        throw typed;
      },
    );
    // Seen by whoever waits for it; never an unhandled rejection when nobody does.
    e.gpuOut.catch(() => {});
  }

  /** The offload job of `e` is submitted: when it settles, its staging goes back and the host holds it. */
  #offloadSubmitted(e: Entry, job: Job, staging?: Uint8Array): void {
    job.whenSettled((j) => {
      if (staging) this.#pool.release(staging);
      // A spill store wrote the container to its file: the host block is free again (unless
      // a prefetch issued before this settled reads it back into that block).
      if (j.error || (this.config.hostStore.kind === 'spill' && !e.prefetchJob))
        this.#releaseContainer(e);
      if (j.error) return;
      const r = j.result!;
      e.onHost = true;
      e.fingerprint = r.fingerprint;
      e.hostBytes = r.linkBytes;
      this.#hostBytes += r.linkBytes;
      this.#transferred(e);
      for (const l of this.#listeners) l.offloaded?.(e.key, e.syncLayer, r, this.#hostBytes);
    });
    e.offloadJob = job;
  }

  /** The offload of `e` is across the link: its device bytes are free. */
  #transferred(e: Entry): void {
    if (e.residency.is(Residency.Offloading)) {
      e.residency.moveTo(Residency.Host);
      this.#dropDevice(e);
    }
  }

  #releaseContainer(e: Entry): void {
    if (e.container) {
      this.#pool.release(e.container.block);
      e.container = undefined;
    }
  }

  /**
   * vDNN's synchronisation: waits until the offload of every entry of
   * `entries` is across the link, and frees their device bytes. A container
   * written at the source is in host memory from the start, so its offload
   * is over when the link's schedule says so, whether or not the engine
   * thread has stored it yet (jobs run in order: its prefetch comes after).
   * Returns a promise only when it has to wait.
   */
  #waitAll(entries: readonly Entry[]): Promise<void> | undefined {
    const engine = this.#engine!;
    engine.poll();
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      const j = e.offloadJob;
      if (j === undefined) return this.#waitFrom(entries, i); // still crossing the GPU's link
      if (j.error) throw engine.failure ?? j.error;
      if (!engine.transferred(j)) return this.#waitFrom(entries, i);
      this.#transferred(e);
    }
    return undefined;
  }

  async #waitFrom(entries: readonly Entry[], from: number): Promise<void> {
    const engine = this.#engine!;
    for (let i = from; i < entries.length; i++) {
      const e = entries[i];
      if (e.offloadJob === undefined) await e.gpuOut;
      await engine.waitTransferred(e.offloadJob!);
      this.#transferred(e);
    }
  }

  /** Frees the host copies released this step and takes their host blocks back for reuse. */
  #dropHost(): void {
    const list = this.#toDrop;
    this.#toDrop = [];
    if (!this.#engine || list.length === 0) return;
    this.#engine.drop(list.map((e) => e.id));
    // The engine reads a block no more once every job before the drop has settled (they
    // have: release waited for them), and jobs run in order: the blocks can be reused now.
    for (const e of list) this.#releaseContainer(e);
  }

  /** Disposes the store's device references of `e`. */
  #dropDevice(e: Entry): void {
    e.device?.dispose();
    e.device = undefined;
    for (const c of e.clones) c.dispose();
    e.clones = [];
  }

  #addSync(layer: number, e: Entry): void {
    const list = this.#pendingSync.get(layer);
    if (list) list.push(e);
    else this.#pendingSync.set(layer, [e]);
  }

  #moveSync(e: Entry, layer: number): void {
    const list = this.#pendingSync.get(e.syncLayer);
    if (list) {
      const i = list.indexOf(e);
      if (i >= 0) list.splice(i, 1);
    }
    e.syncLayer = layer;
    this.#addSync(layer, e);
  }

  /** The offloaded entries still alive (no array is built: this runs at every backward layer). */
  *#offloadedEntries(): Generator<Entry> {
    for (const e of this.#byDataId.values()) {
      if (e.offload && !e.residency.is(Residency.Released)) yield e;
    }
  }

  /**
   * At layer i's backward start: request what layer i and the next
   * prefetchAhead offloading layers need. The window only grows (a prefix of
   * the backward order), so each layer's entries are looked at once; those
   * still on their way out then are looked at again at each later layer.
   */
  #prefetchFor(layerIndex: number): void {
    const order = this.#prefetchOrder;
    const end = prefetchWindowLength(order, layerIndex, this.config.prefetchAhead);
    // In backward order, as the window lists them (the engine runs jobs in order).
    if (this.#prefetchLater.length > 0) {
      const later = this.#prefetchLater;
      this.#prefetchLater = [];
      for (const e of later) this.#prefetchOrLater(e);
    }
    for (; this.#prefetchScanned < end; this.#prefetchScanned++) {
      for (const e of this.#byLastUse.get(order[this.#prefetchScanned]) ?? [])
        this.#prefetchOrLater(e);
    }
  }

  /** Prefetches `e` if it is on the host, or keeps it for the next layer if it is not there yet. */
  #prefetchOrLater(e: Entry): void {
    if (e.residency.is(Residency.Host)) this.#issuePrefetch(e);
    else if (e.residency.is(Residency.Offloading) || e.residency.is(Residency.Device))
      this.#prefetchLater.push(e);
  }

  #issuePrefetch(e: Entry): void {
    const engine = this.#engine!;
    e.residency.moveTo(Residency.Prefetching);
    let job: Job;
    if (e.container) {
      // RAM: the container is checked where it lies.
      job = engine.submitPrefetchSealed(e.id, e.container.bytes);
    } else if (this.#sealed(e)) {
      // Spill: the container comes back from its file into a host buffer.
      // At the offset it had in its block (its payloads aligned as the heap's: fast copies).
      const at = e.sealedStart;
      e.staging = this.#pool.acquireBlock(at + e.sealedBytes).subarray(at, at + e.sealedBytes);
      job = engine.submitPrefetchSealed(e.id, e.staging);
    } else {
      e.staging = this.#pool.acquire(e.bytes);
      job = engine.submitPrefetchRaw(e.id, e.staging);
    }
    this.#lastPrefetch = job;
    job.whenSettled((j) => {
      if (j.error) return;
      if (e.residency.is(Residency.Prefetching)) e.residency.moveTo(Residency.Fetched);
      for (const l of this.#listeners) l.prefetched?.(e.key, e.lastUse, j.result!);
    });
    e.prefetchJob = job;
  }

  /** Whether `e` went out as a container written at the source. */
  #sealed(e: Entry): boolean {
    return e.sealedOut === true;
  }

  async #bringBack(e: Entry, h: SavedHandle): Promise<tf.Tensor> {
    const engine = this.#engine!;
    engine.poll();
    if (e.residency.is(Residency.Host)) this.#issuePrefetch(e);
    const t0 = performance.now();
    /** The fingerprint the source codec checks while decoding (-1: the engine checked it). */
    let verify = -1;
    const job = e.prefetchJob!;
    if (!job.settled) {
      // Sealed by now, or when the engine has sealed it (jobs run in order: before this one).
      const off = e.offloadJob;
      if (e.container && e.fingerprint < 0 && off && !off.settled && !off.error)
        await engine.wait(off);
      if (!job.settled && e.container && e.fingerprint >= 0 && Number.isFinite(job.linkDoneMs)) {
        // A RAM container is in host memory already: once the link's schedule has it across,
        // this thread checks it (the same checks) rather than wait until the engine thread
        // gets to it, which a loaded machine may not schedule for milliseconds. The engine
        // is told not to check it again; its block is not reused before that job settles.
        await engine.waitTransferred(job);
        if (!job.settled) {
          if (this.#gpu)
            checkContainer(`host memory entry ${e.id}`, e.container.bytes, {
              length: e.sealedBytes,
              fingerprint: e.fingerprint,
            });
          // The source codec checks each chunk's CRC-32 as it decodes it (below).
          else verify = e.fingerprint;
          engine.checkedHere(job);
          this.#checkedHere++;
        }
      } else if (!job.settled) await engine.wait(job);
    }
    if (job.error) throw engine.failure ?? job.error;
    if (e.residency.is(Residency.Prefetching)) e.residency.moveTo(Residency.Fetched);
    const t1 = performance.now();
    const layer = h.info.layerIndex;
    for (const l of this.#listeners) l.prefetchStalled?.(layer, t0, t1);
    this.#notCompute += t1 - t0;
    if (e.residency.is(Residency.Released)) {
      throw new InvalidArgumentError(`saved tensor ${h.id} was released while unpacking`);
    }
    if (!e.device) {
      if (this.#sealed(e)) {
        const bytes = e.container?.bytes ?? e.staging!;
        if (this.#gpu) e.device = this.#gpu.decodeSealed(bytes, e.shape, e.dtype);
        else {
          try {
            e.device = this.#source!.decode(bytes, e.shape, e.dtype, verify);
          } catch (err) {
            if (err instanceof CorruptDataError)
              throw new CorruptDataError(`host memory entry ${e.id}: ${err.message}`);
            throw err;
          }
        }
      } else {
        e.device = this.#gpu
          ? this.#gpu.uploadRaw(e.staging!, e.shape, e.dtype)
          : copyIn(e.staging!, e.shape, e.dtype);
      }
      e.residency.moveTo(Residency.Restored);
      if (e.staging) {
        this.#pool.release(e.staging);
        e.staging = undefined;
      }
      const ms = performance.now() - t1;
      for (const l of this.#listeners) l.copiedIn?.(layer, ms);
      this.#notCompute += ms;
    }
    this.#sampleDevice();
    return view(e.device, h.shape);
  }

  #sampleDevice(): void {
    if (!this.#inStep) return;
    const b = this.#deviceBytes();
    for (const l of this.#listeners) l.deviceSampled?.(b);
  }

  #requireStep(where: string): void {
    if (!this.#inStep) throw new InvalidArgumentError(`memory manager: ${where} outside a step`);
  }

  #throwIfFailed(): void {
    const f = this.#engine?.failure ?? this.#gpuFailure;
    if (f) throw f;
    if (this.#closed) throw new InvalidArgumentError('memory manager is closed');
  }

  /**
   * Stops the engine, frees host memory and writes the trace (if asked).
   * Pass the error that ended the run, if one did: the trace then says
   * `"status": "failed"` with it, so it cannot be mistaken for a whole run.
   */
  async close(failure?: unknown): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const e of this.#byDataId.values()) this.#dropDevice(e);
    this.#byDataId.clear();
    await this.#engine?.close();
    this.#gpu?.dispose();
    this.#pool.clear();
    if (this.trace && this.config.tracePath) this.trace.write(this.config.tracePath, failure);
  }
}

/**
 * A new reference to `t`'s bytes in `shape` (the executor disposes it). A
 * reshape shares the buffer; tf.clone would copy it on the wasm backend.
 */
function view(t: tf.Tensor, shape: readonly number[]): tf.Tensor {
  // What tf.reshape does on every backend (one more reference to the same
  // data), without a kernel dispatch for each saved tensor of each step.
  tf.backend().incRef(t.dataId);
  return tf
    .engine()
    .makeTensorFromTensorInfo({ dataId: t.dataId, shape: [...shape], dtype: t.dtype });
}
