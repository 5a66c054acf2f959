/**
 * Host memory the compute thread and the engine thread share
 * (SharedArrayBuffers, like pinned host memory): staging buffers for codecs
 * that run on the engine thread, and the host blocks that containers
 * written at the source live in. Buffers are reused by size class (eight
 * classes per power of two, at least 4 KiB: at most 12.5% unused), so the
 * sizes each step asks for again find their buffers.
 */
const MIN_CLASS = 4096;

/** The size class (backing buffer length) that holds `n` bytes. */
export function sizeClass(n: number): number {
  if (n <= MIN_CLASS) return MIN_CLASS;
  const step = 2 ** (Math.floor(Math.log2(n)) - 3);
  return Math.ceil(n / step) * step;
}

export class StagingPool {
  readonly #free = new Map<number, SharedArrayBuffer[]>();
  #held = 0;
  #pooled = 0;

  #take(byteLength: number): SharedArrayBuffer {
    const c = sizeClass(byteLength);
    const b = this.#free.get(c)?.pop();
    this.#held += c;
    if (b) {
      this.#pooled -= c;
      return b;
    }
    return new SharedArrayBuffer(c);
  }

  /** A view of exactly `byteLength` bytes. */
  acquire(byteLength: number): Uint8Array {
    return new Uint8Array(this.#take(byteLength), 0, byteLength);
  }

  /** A view of a whole buffer of at least `byteLength` bytes (its class). */
  acquireBlock(byteLength: number): Uint8Array {
    return new Uint8Array(this.#take(byteLength));
  }

  /** Gives back the buffer under `b` (a view from acquire or acquireBlock). */
  release(b: Uint8Array): void {
    const sab = b.buffer as SharedArrayBuffer;
    const c = sab.byteLength;
    this.#held -= c;
    this.#pooled += c;
    const list = this.#free.get(c);
    if (list) list.push(sab);
    else this.#free.set(c, [sab]);
  }

  /** Bytes handed out now. */
  get heldBytes(): number {
    return this.#held;
  }
  /** Bytes kept for reuse. */
  get pooledBytes(): number {
    return this.#pooled;
  }

  clear(): void {
    this.#free.clear();
    this.#pooled = 0;
  }
}
