/**
 * The compute thread's handle on the DMA engine (transfer-worker.ts). Jobs
 * go into a SharedArrayBuffer ring (transfer-protocol.ts) and completions
 * come back through it: submitting a job is a few stores and, when the
 * engine sleeps, one notify; nothing is posted per job and the compute
 * thread is never woken per completion. It learns of completions when it
 * polls (the manager does at every layer boundary) and waits only where it
 * must (vDNN's synchronisation points), with Atomics.waitAsync so that the
 * engine thread's death still reaches it.
 *
 * If the engine thread dies or a job fails, every pending and later job
 * fails with a typed error: nothing continues on data that may be lost.
 */
import { rmSync } from 'node:fs';
import {
  MessageChannel,
  receiveMessageOnPort,
  type MessagePort,
  type Worker,
} from 'node:worker_threads';
import { CorruptDataError, InvalidArgumentError, type CdmaError } from '../errors.js';
import { BUILTIN_CODEC_IDS } from '../codec/registry.js';
import { onExit } from '../io/lifecycle.js';
import { startWorker } from '../io/worker.js';
import { makeSpillDir } from './host-store.js';
import { HostStoreError, TransferEngineError } from './errors.js';
import {
  CTRL_INTS,
  DONE,
  F,
  HEAD,
  Kind,
  RING_BYTES,
  RING_SLOTS,
  SLOT_FIELDS,
  STATUS_OK,
  WANT,
  type ElementBytes,
  type EngineConfig,
  type EngineWorkerData,
  type FaultKind,
  type InitMessage,
  type SideMessage,
  type StartReply,
} from './transfer-protocol.js';

export interface TransferResult {
  readonly key: number;
  readonly direction: 'offload' | 'prefetch';
  readonly rawBytes: number;
  readonly linkBytes: number;
  /** -1 when not counted (prefetches, 1-byte elements). */
  readonly nonZero: number;
  /** Engine start/end, in this thread's performance.now() milliseconds. */
  readonly startMs: number;
  readonly endMs: number;
  readonly codecMs: number;
  readonly linkMs: number;
  /** A sealed offload's container fingerprint (XOR of its frame CRCs); -1 for other jobs. */
  readonly fingerprint: number;
}

/** One submitted job. Settles when the compute thread polls (or waits for) it. */
export class Job {
  result: TransferResult | undefined;
  error: CdmaError | undefined;
  /**
   * When its bytes are across the link by the link's schedule at submit
   * (performance.now() ms), for jobs whose link bytes are known then (sealed
   * containers); NaN otherwise.
   */
  linkDoneMs = NaN;
  #callbacks: ((job: Job) => void)[] | undefined;
  constructor(
    readonly op: number,
    readonly key: number,
    readonly direction: 'offload' | 'prefetch' | 'drop' | 'close',
  ) {}
  get settled(): boolean {
    return this.result !== undefined || this.error !== undefined;
  }
  /** Runs `f` when the job settles (at once if it has). */
  whenSettled(f: (job: Job) => void): void {
    if (this.settled) f(this);
    else (this.#callbacks ??= []).push(f);
  }
  /** @internal */
  settle(result: TransferResult | undefined, error: CdmaError | undefined): void {
    if (this.settled) return;
    this.result = result;
    this.error = error;
    // A drop or close has no transfer result; mark it settled all the same.
    if (result === undefined && error === undefined) this.result = NO_RESULT;
    const cbs = this.#callbacks;
    this.#callbacks = undefined;
    if (cbs) for (const f of cbs) f(this);
  }
}

const NO_RESULT: TransferResult = {
  key: -1,
  direction: 'offload',
  rawBytes: 0,
  linkBytes: 0,
  nonZero: -1,
  startMs: 0,
  endMs: 0,
  codecMs: 0,
  linkMs: 0,
  fingerprint: -1,
};

function typedError(code: string, message: string): CdmaError {
  if (code === 'CORRUPT_DATA') return new CorruptDataError(message);
  if (code === 'HOST_STORE') return new HostStoreError(message);
  return new TransferEngineError(message);
}

function sharedOf(u: Uint8Array): SharedArrayBuffer {
  if (!(u.buffer instanceof SharedArrayBuffer)) {
    throw new TransferEngineError('transfer buffers must live in a SharedArrayBuffer');
  }
  return u.buffer;
}

/** Atomics.waitAsync (V8, Node >= 16), which the project's ES2022 lib does not declare. */
type WaitAsync = (
  a: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

interface Waiter {
  readonly op: number;
  resolve(): void;
  reject(e: Error): void;
}

/** How long a wait sleeps synchronously before it waits asynchronously. */
const SYNC_WAIT_MS = 50;
/** How long one waitAsync sleeps before it looks again (the engine's death also ends a wait). */
const WAIT_SLICE_MS = 250;
/** How long submit waits for a free ring slot before it declares the engine stuck. */
const FULL_RING_TIMEOUT_MS = 120_000;

export class TransferEngine {
  readonly #worker: Worker;
  readonly #side: MessagePort;
  readonly #ctrl: Int32Array;
  readonly #slots: Float64Array;
  /** Jobs submitted and not yet polled, in op order. */
  readonly #pending: Job[] = [];
  #pendingHead = 0;
  readonly #bufferIds = new WeakMap<SharedArrayBuffer, number>();
  #nextBuffer = 1;
  #nextOp = 1;
  #failure: CdmaError | undefined;
  #closing = false;
  /**
   * Wake the engine once per kick() instead of once per job: jobs queue up
   * (the engine takes them anyway when it is awake) and the caller wakes it
   * at its next boundary. Each wake of a sleeping thread on a busy machine
   * can preempt the caller, so the manager wakes it once per layer boundary.
   */
  batchWakes = false;
  /** Jobs were queued since the last wake. */
  #unwoken = false;
  readonly #link: EngineConfig['link'];
  /**
   * The host store keeps entries in RAM: an offload's bytes are in host
   * memory once the caller wrote them there. (A spill store's entry is on
   * the host once its file is written: the engine says when.)
   */
  readonly #inRam: boolean;
  /** When the link is free by the schedule of the jobs submitted so far (performance.now() ms). */
  #linkFreeMs = 0;
  /** Raw jobs submitted and not settled. */
  #rawInFlight = 0;
  /** A cell nobody notifies: waitAsync on it is a precise timer. */
  readonly #timerCell = new Int32Array(new SharedArrayBuffer(4));
  /** Waiters on DONE, resolved by #onDone. */
  #waiting: Waiter[] = [];
  #waitArmed = false;
  /** Difference between epoch milliseconds and this thread's performance.now(). */
  readonly #epochOffset = performance.timeOrigin;
  /** Removes the spill folder (if any); runs at close, and at process exit or signal if never closed. */
  readonly #cleanup: () => void;

  private constructor(
    worker: Worker,
    ring: SharedArrayBuffer,
    side: MessagePort,
    cleanup: () => void,
    link: EngineConfig['link'],
    inRam: boolean,
  ) {
    this.#link = link;
    this.#inRam = inRam;
    this.#worker = worker;
    this.#side = side;
    this.#ctrl = new Int32Array(ring, 0, CTRL_INTS);
    this.#slots = new Float64Array(ring, CTRL_INTS * 4, RING_SLOTS * SLOT_FIELDS);
    this.#cleanup = cleanup;
  }

  /**
   * Starts the engine thread and waits until its codec and host store are
   * ready. A spill store's private folder is made here, on the main thread,
   * so that it is removed on every exit path, signals included.
   */
  static async start(config: EngineConfig): Promise<TransferEngine> {
    if (!BUILTIN_CODEC_IDS.includes(config.codec.id))
      throw new InvalidArgumentError(
        `codec '${config.codec.id}' cannot be the offload codec: the transfer engine runs in a worker ` +
          `thread, which knows only cdma's own codecs (${BUILTIN_CODEC_IDS.join(', ')}); a codec a program ` +
          "registers works in that program's thread (compress, containers, zarr)",
      );
    let cleanup = () => {};
    let hostStore = config.hostStore;
    if (hostStore.kind === 'spill' && hostStore.privateDir === undefined) {
      const dir = makeSpillDir(hostStore.dir);
      const remove = () => rmSync(dir, { recursive: true, force: true });
      const forget = onExit(remove);
      cleanup = () => {
        forget();
        remove();
      };
      hostStore = { ...hostStore, privateDir: dir };
    }
    try {
      const ring = new SharedArrayBuffer(RING_BYTES);
      const data: EngineWorkerData = { ...config, hostStore, ring };
      const worker = startWorker(import.meta.url, 'transfer-worker', data);
      const { port1, port2 } = new MessageChannel();
      port1.unref();
      worker.postMessage({ type: 'init', side: port2 } satisfies InitMessage, [port2]);
      return await new TransferEngine(
        worker,
        ring,
        port1,
        cleanup,
        config.link,
        hostStore.kind !== 'spill',
      ).#ready();
    } catch (e) {
      cleanup();
      throw e;
    }
  }

  #ready(): Promise<TransferEngine> {
    const w = this.#worker;
    return new Promise((resolve, reject) => {
      const early = (e: Error) => reject(e);
      w.once('message', (m: StartReply) => {
        w.off('error', early);
        if (m.type === 'ready') resolve(this);
        else reject(typedError(m.code, m.message));
      });
      w.once('error', early);
      w.on('error', (e) => this.#die(`transfer engine thread crashed: ${e.message}`));
      w.on('messageerror', () => this.#die('transfer engine sent an unreadable message'));
      w.on('exit', (code) => {
        if (!this.#closing) {
          const msg = `transfer engine thread exited unexpectedly (code ${code}); the offloaded activations are lost, so training stopped`;
          this.#die(msg);
          reject(new TransferEngineError(msg));
        }
      });
    });
  }

  /** The first fatal error, if any: once set, every call fails with it. */
  get failure(): CdmaError | undefined {
    return this.#failure;
  }

  #die(message: string): void {
    if (!this.#failure) this.#failure = new TransferEngineError(message);
    this.#failAll();
  }

  #failAll(): void {
    const f = this.#failure!;
    for (let i = this.#pendingHead; i < this.#pending.length; i++)
      this.#pending[i].settle(undefined, f);
    this.#pending.length = 0;
    this.#pendingHead = 0;
    const ws = this.#waiting;
    this.#waiting = [];
    for (const w of ws) w.reject(f);
  }

  /** Settles every job the engine has finished (cheap when none has). */
  poll(): void {
    if (this.#pendingHead >= this.#pending.length) return;
    const done = Atomics.load(this.#ctrl, DONE);
    while (this.#pendingHead < this.#pending.length) {
      const job = this.#pending[this.#pendingHead];
      if (job.op > done) break;
      this.#pendingHead++;
      this.#complete(job);
    }
    if (this.#pendingHead === this.#pending.length) {
      this.#pending.length = 0;
      this.#pendingHead = 0;
    }
  }

  #complete(job: Job): void {
    const s = (job.op % RING_SLOTS) * SLOT_FIELDS;
    const slots = this.#slots;
    if (slots[s + F.status] !== STATUS_OK) {
      const e = this.#failureOf(job.op);
      this.#failure ??= e;
      job.settle(undefined, e);
      return;
    }
    if (job.direction === 'drop' || job.direction === 'close') {
      job.settle(undefined, undefined);
      return;
    }
    job.settle(
      {
        key: job.key,
        direction: job.direction,
        rawBytes: slots[s + F.rawBytes],
        linkBytes: slots[s + F.linkBytes],
        nonZero: slots[s + F.nonZero],
        startMs: slots[s + F.startEpochMs] - this.#epochOffset,
        endMs: slots[s + F.endEpochMs] - this.#epochOffset,
        codecMs: slots[s + F.codecMs],
        linkMs: slots[s + F.linkMs],
        fingerprint: slots[s + F.fingerprint],
      },
      undefined,
    );
  }

  /** The failure message the engine posted for `op` (before it published the job). */
  #failureOf(op: number): CdmaError {
    for (;;) {
      const m = receiveMessageOnPort(this.#side)?.message as SideMessage | undefined;
      if (m === undefined) return new TransferEngineError(`transfer engine: job ${op} failed`);
      if (m.type === 'failed' && m.op === op) return typedError(m.code, m.message);
    }
  }

  /** Resolves when `job` has settled (after polling); rejects with its error. */
  wait(job: Job): Promise<TransferResult> {
    this.kick();
    this.#waitSync(job);
    // A job that failed reports the engine's first failure (the cause: a later job of the same
    // entry fails only because an earlier one did).
    if (job.settled)
      return job.error ? Promise.reject(this.#failure ?? job.error) : Promise.resolve(job.result!);
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ op: job.op, resolve, reject });
      this.#arm();
    }).then(() => {
      if (job.error) throw this.#failure ?? job.error;
      return job.result!;
    });
  }

  /**
   * Sleeps on the ring (Atomics.wait: the engine's notify wakes this thread
   * directly) until `job` settles, for at most SYNC_WAIT_MS; then the caller
   * waits asynchronously, where the engine thread's death reaches it. An
   * asynchronous wait is woken through the event loop, a few hops more per
   * wake; vDNN's waits are short, so most end here.
   */
  #waitSync(job: Job): void {
    this.poll();
    if (job.settled || this.#failure || this.#waitArmed) return;
    const deadline = performance.now() + SYNC_WAIT_MS;
    try {
      for (;;) {
        Atomics.store(this.#ctrl, WANT, job.op);
        const seen = Atomics.load(this.#ctrl, DONE);
        if (seen < job.op) {
          const left = deadline - performance.now();
          if (left <= 0) return;
          Atomics.wait(this.#ctrl, DONE, seen, left);
        }
        this.poll();
        if (job.settled || this.#failure) return;
      }
    } finally {
      Atomics.store(this.#ctrl, WANT, 0);
    }
  }

  /** Waits (asynchronously) for DONE to move, then settles what finished; re-arms while anyone waits. */
  #arm(): void {
    if (this.#waitArmed || this.#waiting.length === 0 || this.#failure) return;
    this.#waitArmed = true;
    const want = Math.min(...this.#waiting.map((w) => w.op));
    Atomics.store(this.#ctrl, WANT, want);
    const seen = Atomics.load(this.#ctrl, DONE);
    const onWake = () => {
      this.#waitArmed = false;
      Atomics.store(this.#ctrl, WANT, 0);
      // Read DONE before polling: every job up to it is settled by then (one published after
      // the poll must not resolve a waiter whose job the poll did not settle).
      const done = Atomics.load(this.#ctrl, DONE);
      this.poll();
      const still: Waiter[] = [];
      for (const w of this.#waiting) {
        if (w.op <= done) w.resolve();
        else still.push(w);
      }
      this.#waiting = still;
      this.#arm();
    };
    if (seen >= want) {
      queueMicrotask(onWake);
      return;
    }
    const r = waitAsync(this.#ctrl, DONE, seen, WAIT_SLICE_MS);
    if (r.async) void r.value.then(onWake);
    else queueMicrotask(onWake);
  }

  #bufferId(sab: SharedArrayBuffer): number {
    let id = this.#bufferIds.get(sab);
    if (id === undefined) {
      id = this.#nextBuffer++;
      this.#bufferIds.set(sab, id);
      this.#side.postMessage({ type: 'buffer', id, buffer: sab } satisfies SideMessage);
    }
    return id;
  }

  #submit(
    kind: number,
    key: number,
    direction: Job['direction'],
    region: Uint8Array | undefined,
    arg = 0,
    arg2 = -1,
    notify = true,
  ): Job {
    if (this.#failure) throw this.#failure;
    if (this.#closing) throw new TransferEngineError('transfer engine is closed');
    const op = this.#nextOp;
    this.#waitForSlot(op);
    const s = (op % RING_SLOTS) * SLOT_FIELDS;
    const slots = this.#slots;
    slots[s + F.kind] = kind;
    slots[s + F.key] = key;
    if (region) {
      slots[s + F.buffer] = this.#bufferId(sharedOf(region));
      slots[s + F.offset] = region.byteOffset;
      slots[s + F.length] = region.byteLength;
    }
    slots[s + F.arg] = arg;
    slots[s + F.arg2] = arg2;
    slots[s + F.status] = 0;
    this.#nextOp++;
    const job = new Job(op, key, direction);
    this.#pending.push(job);
    Atomics.store(this.#ctrl, HEAD, op);
    if (notify && !this.batchWakes) Atomics.notify(this.#ctrl, HEAD);
    else this.#unwoken = true;
    return job;
  }

  /** Wakes the engine if jobs were queued without waking it (batchWakes, drops). */
  kick(): void {
    if (!this.#unwoken) return;
    this.#unwoken = false;
    Atomics.notify(this.#ctrl, HEAD);
  }

  /** The slot of `op` must not hold a job the compute thread has not polled yet. */
  #waitForSlot(op: number): void {
    const oldest = this.#pending[this.#pendingHead];
    if (oldest === undefined || op - oldest.op < RING_SLOTS) return;
    const deadline = performance.now() + FULL_RING_TIMEOUT_MS;
    // Queued jobs that did not wake the engine (drops, batched wakes) must run now.
    this.#unwoken = false;
    Atomics.notify(this.#ctrl, HEAD);
    for (;;) {
      this.poll();
      const o = this.#pending[this.#pendingHead];
      if (o === undefined || op - o.op < RING_SLOTS) return;
      if (performance.now() > deadline)
        throw new TransferEngineError(
          `transfer engine made no progress for ${FULL_RING_TIMEOUT_MS / 1000} s with ${RING_SLOTS} jobs queued`,
        );
      Atomics.wait(this.#ctrl, DONE, Atomics.load(this.#ctrl, DONE), 10);
    }
  }

  /**
   * Raw tensor bytes in `src` (shared memory): the engine compresses them and
   * moves them over the link into the host store under `key`. `src` must stay
   * untouched until the job settles.
   */
  submitOffloadRaw(key: number, src: Uint8Array, elementBytes: ElementBytes): Job {
    sharedOf(src);
    return this.#raw(this.#submit(Kind.OffloadRaw, key, 'offload', src, elementBytes));
  }

  /**
   * A container the compute thread wrote into `container` (header, frame
   * lengths and payloads; compression at the source): the engine computes
   * its frame checksums, moves it over the link and keeps it (a RAM store
   * keeps this very memory: leave it alone until the entry is dropped).
   * `nonZero` is the count when known, else -1.
   */
  submitOffloadSealed(key: number, container: Uint8Array, rawBytes: number, nonZero: number): Job {
    sharedOf(container);
    return this.#schedule(
      this.#submit(Kind.OffloadSealed, key, 'offload', container, rawBytes, nonZero),
      container.byteLength,
    );
  }

  /**
   * A job whose link bytes only the engine learns (it encodes them): on a
   * link without a bandwidth limit its link time is the latency all the
   * same; on another, the schedule is unknown until it settles.
   */
  #raw(job: Job): Job {
    if (this.#link.bytesPerSecond === Infinity && this.#inRam) return this.#schedule(job, 0);
    this.#rawInFlight++;
    job.whenSettled((j) => {
      this.#rawInFlight--;
      if (j.result) this.#linkFreeMs = Math.max(this.#linkFreeMs, j.result.endMs);
    });
    return job;
  }

  /**
   * Books `bytes` on the link after the jobs before it: the DMA schedule.
   * The engine enforces the same link (it sleeps until its own start plus
   * the link time, so it is never done earlier than this schedule says).
   */
  #schedule(job: Job, bytes: number): Job {
    const { bytesPerSecond, latencySeconds } = this.#link;
    const ms = 1e3 * (latencySeconds + (bytesPerSecond === Infinity ? 0 : bytes / bytesPerSecond));
    if (!this.#inRam) return job; // done when the engine has written the file
    if (this.#rawInFlight > 0) {
      job.linkDoneMs = Infinity; // behind a job of unknown length: done when the engine says so
      return job;
    }
    const start = Math.max(performance.now(), this.#linkFreeMs);
    this.#linkFreeMs = start + ms;
    job.linkDoneMs = this.#linkFreeMs;
    return job;
  }

  /**
   * Whether the bytes of `job` are across the link: it settled, or it is a
   * sealed job (its container is in host memory from the start) whose link
   * time by the schedule has passed. The engine may still be storing it;
   * jobs run in order, so a later job on the same key sees it stored.
   */
  transferred(job: Job): boolean {
    if (job.settled) return true;
    this.poll();
    return job.settled || performance.now() >= job.linkDoneMs;
  }

  /** Resolves when transferred(job) holds (a failure of the engine rejects). */
  async waitTransferred(job: Job): Promise<void> {
    if (!Number.isFinite(job.linkDoneMs)) {
      await this.wait(job);
      return;
    }
    this.kick();
    for (;;) {
      if (this.#failure) throw this.#failure;
      if (this.transferred(job)) {
        if (job.error) throw this.#failure ?? job.error;
        return;
      }
      const left = job.linkDoneMs - performance.now();
      if (left <= SYNC_WAIT_MS) {
        Atomics.wait(this.#timerCell, 0, 0, left);
        continue;
      }
      const r = waitAsync(this.#timerCell, 0, 0, Math.min(left, WAIT_SLICE_MS));
      if (r.async) await r.value;
    }
  }

  /** Brings `key` (a raw offload) back over the link, decoded into `dest` (its exact raw size). */
  submitPrefetchRaw(key: number, dest: Uint8Array): Job {
    sharedOf(dest);
    return this.#raw(this.#submit(Kind.PrefetchRaw, key, 'prefetch', dest));
  }

  /**
   * Tells the engine that the compute thread has checked the container of
   * sealed prefetch `job` where it lies (a RAM entry), so the engine need not
   * check it again. A hint: an engine already at the job checks it anyway.
   */
  checkedHere(job: Job): void {
    if (job.settled) return;
    this.#slots[(job.op % RING_SLOTS) * SLOT_FIELDS + F.arg2] = 1;
  }

  /**
   * Brings the container of `key` (a sealed offload) back over the link into
   * `dest` (its exact length), checked by the container reader; for a RAM
   * entry that lives in `dest` already, nothing is copied.
   */
  submitPrefetchSealed(key: number, dest: Uint8Array): Job {
    sharedOf(dest);
    return this.#schedule(
      this.#submit(Kind.PrefetchSealed, key, 'prefetch', dest),
      dest.byteLength,
    );
  }

  /** Offloads raw bytes and resolves when the transfer is done. */
  offload(key: number, src: Uint8Array, elementBytes: ElementBytes): Promise<TransferResult> {
    sharedOf(src);
    if (this.#failure) return Promise.reject(this.#failure);
    let job: Job;
    try {
      job = this.submitOffloadRaw(key, src, elementBytes);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.wait(job);
  }

  /** Prefetches a raw offload into `dest` and resolves when it is there. */
  prefetch(key: number, dest: Uint8Array): Promise<TransferResult> {
    sharedOf(dest);
    if (this.#failure) return Promise.reject(this.#failure);
    let job: Job;
    try {
      job = this.submitPrefetchRaw(key, dest);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.wait(job);
  }

  /**
   * Frees the host copies of `keys`: one job each, the engine woken once for
   * all. Returns the jobs (they settle when polled).
   */
  drop(keys: readonly number[]): Job[] {
    if (this.#failure || this.#closing) return [];
    const jobs = keys.map((k) => this.#submit(Kind.Drop, k, 'drop', undefined, 0, -1, false));
    if (!this.batchWakes) this.kick();
    return jobs;
  }

  /** Fault injection for tests: make the engine thread exit, crash, or stall for `ms`. */
  injectFault(kind: FaultKind, ms = 0): void {
    if (this.#failure || this.#closing) return;
    const arg = kind === 'exit' ? 1 : kind === 'throw' ? 2 : 3;
    this.#submit(Kind.Fault, -1, 'drop', undefined, arg, ms);
    this.kick();
  }

  /** Finishes queued jobs, frees the host store (and spill files) and ends the thread. */
  async close(): Promise<void> {
    if (this.#closing) return;
    if (!this.#failure) {
      try {
        const job = this.#submit(Kind.Close, -1, 'close', undefined);
        this.#closing = true;
        await this.wait(job);
      } catch {
        // already failed; terminate below
      }
    }
    this.#closing = true;
    await this.#worker.terminate();
    this.#side.close();
    this.#cleanup();
  }
}
