/**
 * Recording activations while a program trains: the study's recorder
 * (recorder.ts) behind the trainer's hooks. Every K steps (and at the first)
 * each ReLU-family output and dropout mask is measured: density, ZVC/RLE/zlib
 * compression ratios per layout, zero runs, dead channels (docs/STUDY.md).
 *
 *   const rec = ActivationRecorder.create(spec, { every: 10 });
 *   await train({ model: spec, dataset, ..., ...rec.hooks(store) });
 *   rec.records  // one RecordedStep per recorded step
 *
 * Measurements run inline on the training thread (the study command runs
 * them on a worker; both give the same numbers).
 */
import { InvalidArgumentError } from '../errors.js';
import { analyzeModel } from '../nn/shapes.js';
import type { ModelSpec } from '../nn/spec.js';
import { KeepStore } from '../nn/keep-store.js';
import type { SavedTensorStore } from '../nn/store.js';
import type { ExecutorOptions } from '../nn/executor.js';
import type { StepRecord } from '../train/trainer.js';
import { InlineMeasureService } from './measure-service.js';
import { StepRecorder, type RecordedStep } from './recorder.js';

export interface ActivationRecorderOptions {
  /** Record steps 1, 1+K, 1+2K, ... (default 1: every step). */
  readonly every?: number;
  /** DEFLATE level of the zlib measurements (default 6, as `cdma study`). */
  readonly zlibLevel?: number;
  /** zlib compresses the first n images of each recorded batch (default 4, as `cdma study`). */
  readonly zlibSampleImages?: number;
  /** Called with each recorded step's measurements once they are in. */
  readonly onRecord?: (r: RecordedStep) => void | Promise<void>;
}

/** What to spread into train()'s options. */
export interface RecordingHooks {
  readonly store: SavedTensorStore;
  readonly observer: NonNullable<ExecutorOptions['observer']>;
  readonly beforeStep: (step: number) => void;
  readonly onStep: (r: StepRecord) => Promise<void>;
}

const KEYS = ['every', 'zlibLevel', 'zlibSampleImages', 'onRecord'];

function wholeIn(
  name: string,
  v: number | undefined,
  dflt: number,
  min: number,
  max: number,
): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < min || v > max)
    throw new InvalidArgumentError(
      `activation recorder ${name}: ${v} is not a whole number from ${min} to ${max}`,
    );
  return v;
}

export class ActivationRecorder {
  /** Measurements of the recorded steps so far, in step order. */
  readonly records: RecordedStep[] = [];
  readonly #rec: StepRecorder;
  readonly #every: number;
  readonly #onRecord: ActivationRecorderOptions['onRecord'];
  #active = false;

  private constructor(
    rec: StepRecorder,
    every: number,
    onRecord: ActivationRecorderOptions['onRecord'],
  ) {
    this.#rec = rec;
    this.#every = every;
    this.#onRecord = onRecord;
  }

  static create(spec: ModelSpec, options: ActivationRecorderOptions = {}): ActivationRecorder {
    for (const k of Object.keys(options))
      if (!KEYS.includes(k))
        throw new InvalidArgumentError(
          `unknown activation recorder option '${k}': use ${KEYS.join(', ')}`,
        );
    const every = wholeIn('every', options.every, 1, 1, 1e9);
    const service = new InlineMeasureService({
      zlibLevel: wholeIn('zlibLevel', options.zlibLevel, 6, 0, 9),
      zlibSampleImages: wholeIn('zlibSampleImages', options.zlibSampleImages, 4, 1, 1e6),
    });
    const rec = new StepRecorder(analyzeModel(spec), service, { maxMapLayers: 0, mapChannels: 0 });
    return new ActivationRecorder(rec, every, options.onRecord);
  }

  /** The tensors (layer outputs and masks) measured at each recorded step. */
  get targets(): readonly {
    readonly layer: string;
    readonly role: string;
    readonly kind: string;
  }[] {
    return this.#rec.targets;
  }

  /**
   * Options for train(): `store` wraps the given store (default: keep in
   * place) so dropout masks are measured as they are saved.
   */
  hooks(store: SavedTensorStore = new KeepStore()): RecordingHooks {
    return {
      store: this.#rec.wrap(store),
      observer: this.#rec.observer,
      beforeStep: (step: number) => {
        this.#active = (step - 1) % this.#every === 0;
        // The executor numbers steps from 0.
        if (this.#active) this.#rec.begin(step - 1, false);
      },
      onStep: async () => {
        if (!this.#active) return;
        this.#active = false;
        const r = await this.#rec.end();
        this.records.push(r);
        await this.#onRecord?.(r);
      },
    };
  }
}
