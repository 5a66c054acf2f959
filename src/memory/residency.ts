/**
 * Where one saved buffer's bytes are, as an explicit state machine. Every
 * change goes through `moveTo`, which throws on a transition the memory
 * manager must never make (a bug, not a user error).
 *
 *   device ──offload──> offloading ──done──> host ──prefetch──> prefetching
 *     │                     │                  │                    │ done
 *     │                     │                  │                 fetched ──copy in──> restored
 *     └──────────── release (from any state) ──┴────────────────────┴──────> released
 *
 * - device: on the device only (kept, or not yet offloaded);
 * - offloading: the engine is compressing and sending it; the device copy stays until done;
 * - host: only the host store holds it;
 * - prefetching: the engine is bringing it back into a staging buffer;
 * - fetched: in the staging buffer, not yet a device tensor;
 * - restored: on the device again (the host copy stays until release);
 * - released: every handle released; nothing more happens to it.
 */
export enum Residency {
  Device = 'device',
  Offloading = 'offloading',
  Host = 'host',
  Prefetching = 'prefetching',
  Fetched = 'fetched',
  Restored = 'restored',
  Released = 'released',
}

const NEXT: Readonly<Record<Residency, readonly Residency[]>> = {
  [Residency.Device]: [Residency.Offloading, Residency.Released],
  [Residency.Offloading]: [Residency.Host, Residency.Released],
  [Residency.Host]: [Residency.Prefetching, Residency.Released],
  [Residency.Prefetching]: [Residency.Fetched, Residency.Released],
  [Residency.Fetched]: [Residency.Restored, Residency.Released],
  [Residency.Restored]: [Residency.Released],
  [Residency.Released]: [],
};

export class InvalidTransitionError extends Error {
  constructor(what: string, from: Residency, to: Residency) {
    super(`memory manager: ${what} cannot go from ${from} to ${to}`);
    this.name = 'InvalidTransitionError';
  }
}

/** A buffer's residency; `what` names it in errors. */
export class ResidencyState {
  #state: Residency;
  readonly #what: string;

  constructor(what: string, initial: Residency = Residency.Device) {
    this.#what = what;
    this.#state = initial;
  }

  get state(): Residency {
    return this.#state;
  }

  is(...states: Residency[]): boolean {
    return states.includes(this.#state);
  }

  moveTo(to: Residency): void {
    if (!NEXT[this.#state].includes(to)) {
      throw new InvalidTransitionError(this.#what, this.#state, to);
    }
    this.#state = to;
  }
}
