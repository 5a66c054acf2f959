/**
 * How the compute thread (transfer-engine.ts) and the DMA engine thread
 * (transfer-worker.ts) talk. Jobs and their completions go through one ring
 * of fixed-size slots in a SharedArrayBuffer: the compute thread writes a
 * job into slot `op % RING_SLOTS` and publishes it by storing `op` in
 * HEAD; the engine runs jobs in order, writes each result into the job's
 * slot and publishes it by storing `op` in DONE. Nobody posts a message per
 * job. The engine sleeps on HEAD (Atomics.wait) when it has nothing to do;
 * the compute thread waits on DONE (Atomics.waitAsync) only at vDNN's
 * synchronisation points, and the engine notifies DONE only when the
 * compute thread said (WANT) that it waits for that job.
 *
 * Tensor and container bytes live in SharedArrayBuffers that the compute
 * thread registers once (a message on a side port that the engine reads
 * synchronously when a job names a buffer it has not seen); a job names a
 * buffer by id, offset and length. A failed job's message travels on the
 * same side port, posted before its slot is published.
 */
import type { CodecId, CodecParams } from '../codec/codec.js';
import type { MessagePort } from 'node:worker_threads';

export type HostStoreConfig =
  | { readonly kind: 'ram' }
  | {
      readonly kind: 'spill';
      /** The user's --host-store folder. */
      readonly dir: string;
      /** The private cdma-spill-* folder inside it, made (and removed) by the main thread. */
      readonly privateDir?: string;
    };

export interface EngineConfig {
  readonly codec: { readonly id: CodecId; readonly params?: CodecParams };
  readonly link: { readonly bytesPerSecond: number; readonly latencySeconds: number };
  readonly hostStore: HostStoreConfig;
}

/** What the worker thread is started with (its side port follows in an 'init' message). */
export interface EngineWorkerData extends EngineConfig {
  readonly ring: SharedArrayBuffer;
}

/** The first message to the worker: the side port (transferred). */
export interface InitMessage {
  readonly type: 'init';
  readonly side: MessagePort;
}

/** Element width of a raw tensor; 1 (e.g. bool) is stored without a codec. */
export type ElementBytes = 1 | 2 | 4;

/** Test faults: the engine thread exits, crashes, or stalls (sleeps, as an unscheduled thread would). */
export type FaultKind = 'exit' | 'throw' | 'stall';

/** Ring geometry. */
export const RING_SLOTS = 4096;
export const SLOT_FIELDS = 16;
/** Control words (Int32) before the slots. */
export const CTRL_INTS = 8;
export const RING_BYTES = CTRL_INTS * 4 + RING_SLOTS * SLOT_FIELDS * 8;

/** Control word indices. */
export const HEAD = 0;
export const DONE = 1;
export const WANT = 2;

/** Job kinds. */
export const Kind = {
  /** Raw tensor bytes in the region: the engine encodes them into a container and stores it. */
  OffloadRaw: 1,
  /** A container (header, frame lengths and payloads) in the region: the engine seals and stores it. */
  OffloadSealed: 2,
  /** Decode the stored container into the region (the raw bytes). */
  PrefetchRaw: 3,
  /** Put the checked container into the region (no copy when it already lives there). */
  PrefetchSealed: 4,
  /** Free the host copy of `key`. */
  Drop: 5,
  /** Tests: make the engine exit (arg 1) or crash (arg 2). */
  Fault: 6,
  /** Free everything and end the thread. */
  Close: 7,
} as const;

/** Slot fields (Float64 each). Job fields are written by the compute thread, results by the engine. */
export const F = {
  kind: 0,
  key: 1,
  buffer: 2,
  offset: 3,
  length: 4,
  /** Raw: element bytes. Sealed offload: raw bytes of the tensor. */
  arg: 5,
  /**
   * Sealed offload: non-zero elements the compute thread counted (-1: the
   * engine counts). Sealed prefetch: 1 once the compute thread has checked
   * the container where it lies (the engine then need not check it again).
   */
  arg2: 6,
  status: 7,
  rawBytes: 8,
  linkBytes: 9,
  nonZero: 10,
  startEpochMs: 11,
  endEpochMs: 12,
  codecMs: 13,
  linkMs: 14,
  /** Sealed offload: the container's fingerprint (XOR of its frame CRCs); -1 otherwise. */
  fingerprint: 15,
} as const;

export const STATUS_OK = 1;
export const STATUS_FAILED = 2;

/** Side-port messages. */
export type SideMessage =
  | { readonly type: 'buffer'; readonly id: number; readonly buffer: SharedArrayBuffer }
  | {
      readonly type: 'failed';
      readonly op: number;
      readonly code: string;
      readonly message: string;
    };

/** Start-up replies on the worker's parent port. */
export type StartReply =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly code: string; readonly message: string };
