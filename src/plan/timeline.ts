/**
 * One training step as a timeline of 2L positions: the forward pass of
 * layers 0..L-1, then the backward pass of L-1..0. Buffers are live over
 * closed intervals of positions; the peak is the largest sum of live bytes.
 * The memory estimates of the manager's budget and of the performance model
 * both fill one.
 */
export interface TimelinePeak {
  /** Largest sum of live bytes (0 when nothing was ever live). */
  readonly bytes: number;
  /** Of those, the spike at that position (0 unless asked for spikes). */
  readonly spike: number;
  /** Layer at the peak, and the pass. */
  readonly layer: number;
  readonly phase: 'forward' | 'backward';
}

export class Timeline {
  readonly layers: number;
  readonly #diff: Float64Array;
  readonly #spike: Float64Array;

  constructor(layers: number) {
    this.layers = layers;
    this.#diff = new Float64Array(2 * layers + 1);
    this.#spike = new Float64Array(2 * layers);
  }

  /** Position of layer i's forward computation. */
  fwd(i: number): number {
    return i;
  }
  /** Position of layer i's backward computation. */
  bwd(i: number): number {
    return 2 * this.layers - 1 - i;
  }
  /** The last position of the step. */
  get end(): number {
    return 2 * this.layers - 1;
  }

  /** `bytes` are live from position `from` to `to`, both included (nothing when to < from). */
  live(from: number, to: number, bytes: number): void {
    if (bytes === 0 || to < from) return;
    this.#diff[from] += bytes;
    this.#diff[to + 1] -= bytes;
  }

  /** `bytes` exist only during position `at` (a kernel's temporaries), on top of what is live there. */
  spike(at: number, bytes: number): void {
    this.#spike[at] = Math.max(this.#spike[at], bytes);
  }

  /**
   * The first position where live bytes are largest (the first position when
   * nothing is live); with `spikes`, live bytes plus each position's spike.
   */
  peak(spikes = false): TimelinePeak {
    const T = 2 * this.layers;
    let cur = 0;
    let peak = -1;
    let at = 0;
    for (let t = 0; t < T; t++) {
      cur += this.#diff[t];
      const v = spikes ? cur + this.#spike[t] : cur;
      if (v > peak) {
        peak = v;
        at = t;
      }
    }
    return {
      bytes: Math.max(0, peak),
      spike: spikes ? this.#spike[at] : 0,
      layer: at < this.layers ? at : T - 1 - at,
      phase: at < this.layers ? 'forward' : 'backward',
    };
  }
}
