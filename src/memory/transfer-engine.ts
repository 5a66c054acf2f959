/**
 * The compute thread's handle on the DMA engine (transfer-worker.ts). It
 * posts offload / prefetch jobs whose bytes live in SharedArrayBuffers and
 * resolves one promise per job. If the engine thread dies or a job fails,
 * every pending and later job rejects with a typed error: nothing continues
 * on data that may be lost.
 */
import { rmSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { CorruptDataError, type CdmaError } from '../errors.js';
import { onExit } from '../io/lifecycle.js';
import { startWorker } from '../io/worker.js';
import { makeSpillDir } from './host-store.js';
import { HostStoreError, TransferEngineError } from './errors.js';
import type {
  ElementBytes,
  EngineConfig,
  EngineReply,
  EngineRequest,
  FaultKind,
  TransferTiming,
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
}

interface Pending {
  readonly key: number;
  readonly direction: 'offload' | 'prefetch' | 'close';
  resolve(r: TransferResult | undefined): void;
  reject(e: Error): void;
}

function typedError(code: string, message: string): CdmaError {
  if (code === 'CORRUPT_DATA') return new CorruptDataError(message);
  if (code === 'HOST_STORE') return new HostStoreError(message);
  return new TransferEngineError(message);
}

function sharedView(u: Uint8Array): SharedArrayBuffer {
  if (!(u.buffer instanceof SharedArrayBuffer)) {
    throw new TransferEngineError('transfer buffers must live in a SharedArrayBuffer');
  }
  return u.buffer;
}

function spawn(config: EngineConfig): Worker {
  return startWorker(import.meta.url, 'transfer-worker', config);
}

export class TransferEngine {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextOp = 1;
  #failure: CdmaError | undefined;
  #closing = false;
  /** Difference between epoch milliseconds and this thread's performance.now(). */
  readonly #epochOffset = performance.timeOrigin;

  /** Removes the spill folder (if any); runs at close, and at process exit or signal if never closed. */
  readonly #cleanup: () => void;

  private constructor(worker: Worker, cleanup: () => void) {
    this.#worker = worker;
    this.#cleanup = cleanup;
  }

  /**
   * Starts the engine thread and waits until its codec and host store are
   * ready. A spill store's private folder is made here, on the main thread,
   * so that it is removed on every exit path, signals included.
   */
  static async start(config: EngineConfig): Promise<TransferEngine> {
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
      return await new TransferEngine(spawn({ ...config, hostStore }), cleanup).#ready();
    } catch (e) {
      cleanup();
      throw e;
    }
  }

  #ready(): Promise<TransferEngine> {
    const w = this.#worker;
    return new Promise((resolve, reject) => {
      const early = (e: Error) => reject(e);
      const onFirst = (m: EngineReply) => {
        if (m.type === 'ready') {
          w.off('error', early);
          w.on('message', (r: EngineReply) => this.#onReply(r));
          resolve(this);
        } else if (m.type === 'failed') {
          w.off('message', onFirst);
          reject(typedError(m.code, m.message));
        }
      };
      w.once('message', onFirst);
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

  /** The first fatal error, if any: once set, every call rejects with it. */
  get failure(): CdmaError | undefined {
    return this.#failure;
  }

  #die(message: string): void {
    if (!this.#failure) this.#failure = new TransferEngineError(message);
    for (const p of this.#pending.values()) p.reject(this.#failure);
    this.#pending.clear();
  }

  #onReply(m: EngineReply): void {
    if (m.type === 'ready') return;
    if (m.type === 'failed' && m.op === 0) {
      // A failure not tied to a job (e.g. freeing a spill file): fatal for the session.
      this.#failure ??= typedError(m.code, m.message);
      for (const p of this.#pending.values()) p.reject(this.#failure);
      this.#pending.clear();
      return;
    }
    const p = this.#pending.get(m.op);
    if (!p) return;
    this.#pending.delete(m.op);
    if (m.type === 'failed') {
      const e = typedError(m.code, m.message);
      this.#failure ??= e;
      p.reject(e);
    } else if (m.type === 'closed') {
      p.resolve(undefined);
    } else {
      p.resolve(this.#result(p, m));
    }
  }

  #result(p: Pending, m: Extract<EngineReply, { type: 'done' }>): TransferResult {
    const t: TransferTiming = m.timing;
    return {
      key: p.key,
      direction: p.direction === 'prefetch' ? 'prefetch' : 'offload',
      rawBytes: m.rawBytes,
      linkBytes: m.linkBytes,
      nonZero: m.nonZero,
      startMs: t.startEpochMs - this.#epochOffset,
      endMs: t.endEpochMs - this.#epochOffset,
      codecMs: t.codecMs,
      linkMs: t.linkMs,
    };
  }

  #submit(
    key: number,
    direction: Pending['direction'],
    make: (op: number) => EngineRequest,
  ): Promise<TransferResult> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closing) return Promise.reject(new TransferEngineError('transfer engine is closed'));
    const op = this.#nextOp++;
    return new Promise<TransferResult | undefined>((resolve, reject) => {
      this.#pending.set(op, { key, direction, resolve, reject });
      this.#worker.postMessage(make(op));
    }) as Promise<TransferResult>;
  }

  /**
   * Compresses `src` and moves it over the link into the host store under
   * `key`. `src` must stay untouched until the promise settles.
   */
  offload(key: number, src: Uint8Array, elementBytes: ElementBytes): Promise<TransferResult> {
    const buffer = sharedView(src);
    return this.#submit(key, 'offload', (op) => ({
      type: 'offload',
      op,
      key,
      buffer,
      byteOffset: src.byteOffset,
      byteLength: src.byteLength,
      elementBytes,
    }));
  }

  /** Brings `key` back over the link and decompresses it into `dest` (its exact raw size). */
  prefetch(key: number, dest: Uint8Array): Promise<TransferResult> {
    const buffer = sharedView(dest);
    return this.#submit(key, 'prefetch', (op) => ({
      type: 'prefetch',
      op,
      key,
      buffer,
      byteOffset: dest.byteOffset,
      byteLength: dest.byteLength,
    }));
  }

  /**
   * Frees the host copies of `keys` (fire and forget; a failure surfaces on
   * the next job). Callers batch them: every message wakes the engine thread.
   */
  drop(keys: readonly number[]): void {
    if (this.#failure || this.#closing || keys.length === 0) return;
    this.#worker.postMessage({ type: 'drop', keys } satisfies EngineRequest);
  }

  /** Fault injection for tests: make the engine thread exit or crash. */
  injectFault(kind: FaultKind): void {
    this.#worker.postMessage({ type: 'fault', kind } satisfies EngineRequest);
  }

  /** Finishes queued jobs, frees the host store (and spill files) and ends the thread. */
  async close(): Promise<void> {
    if (this.#closing) return;
    if (this.#failure) {
      this.#closing = true;
      await this.#worker.terminate();
      this.#cleanup();
      return;
    }
    const op = this.#nextOp++;
    const closed = new Promise<TransferResult | undefined>((resolve, reject) => {
      this.#pending.set(op, { key: -1, direction: 'close', resolve, reject });
    });
    this.#worker.postMessage({ type: 'close', op } satisfies EngineRequest);
    this.#closing = true;
    try {
      await closed;
    } catch {
      // already failed; terminate below
    }
    await this.#worker.terminate();
    this.#cleanup();
  }
}
