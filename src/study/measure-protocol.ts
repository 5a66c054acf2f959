/** Messages between the study's recorder and its measurement thread. */
import type { MapImage } from './maps.js';
import type { MeasureConfig, Measurement } from './measure.js';

export interface MeasureJob {
  /** NHWC float32 values; ownership passes to the service (it may be transferred). */
  readonly data: Float32Array;
  readonly batch: number;
  /** Per sample, [C, H, W] or [C]. */
  readonly shape: readonly number[];
  /** Draw an activation map with this many channels (0: none). */
  readonly mapChannels: number;
}

export interface MeasureReply {
  readonly measurement: Measurement;
  readonly map?: MapImage;
  /** Milliseconds the measurement took where it ran. */
  readonly ms: number;
}

export type WorkerRequest = {
  readonly type: 'measure';
  readonly id: number;
  readonly job: MeasureJob;
};

export type WorkerReply =
  | { readonly type: 'ready' }
  | {
      readonly type: 'done';
      readonly id: number;
      readonly measurement: Measurement;
      readonly map?: {
        png: Uint8Array;
        width: number;
        height: number;
        channels: number;
        density: number;
      };
      readonly ms: number;
    }
  | { readonly type: 'failed'; readonly id: number; readonly message: string };

export type WorkerConfig = MeasureConfig;
