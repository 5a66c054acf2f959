/**
 * Messages between the compute thread (transfer-engine.ts) and the DMA
 * engine thread (transfer-worker.ts). Tensor bytes travel in
 * SharedArrayBuffers, never copied by postMessage.
 */
import type { CodecId, CodecParams } from '../codec/codec.js';

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

/** Element width the codec sees; 1 (e.g. bool) is stored without a codec. */
export type ElementBytes = 1 | 2 | 4;

export type FaultKind = 'exit' | 'throw';

export type EngineRequest =
  | {
      readonly type: 'offload';
      readonly op: number;
      readonly key: number;
      readonly buffer: SharedArrayBuffer;
      readonly byteOffset: number;
      readonly byteLength: number;
      readonly elementBytes: ElementBytes;
    }
  | {
      readonly type: 'prefetch';
      readonly op: number;
      readonly key: number;
      readonly buffer: SharedArrayBuffer;
      readonly byteOffset: number;
      readonly byteLength: number;
    }
  | { readonly type: 'drop'; readonly keys: readonly number[] }
  | { readonly type: 'fault'; readonly kind: FaultKind }
  | { readonly type: 'close'; readonly op: number };

/** What the engine did for one transfer. Times are epoch milliseconds (timeOrigin + now). */
export interface TransferTiming {
  /** The engine started the job (after any queueing). */
  readonly startEpochMs: number;
  /** The job's bytes have fully crossed the link (and are decoded/stored). */
  readonly endEpochMs: number;
  /** Time spent (de)compressing and checksumming. */
  readonly codecMs: number;
  /** Time the link model alone needs for linkBytes. */
  readonly linkMs: number;
}

export type EngineReply =
  | { readonly type: 'ready' }
  | {
      readonly type: 'done';
      readonly op: number;
      readonly rawBytes: number;
      /** Bytes that crossed the link (compressed size). */
      readonly linkBytes: number;
      /** Non-zero elements (offloads only; -1 when not counted). */
      readonly nonZero: number;
      readonly timing: TransferTiming;
    }
  | {
      readonly type: 'failed';
      readonly op: number;
      readonly code: string;
      readonly message: string;
    }
  | { readonly type: 'closed'; readonly op: number };
