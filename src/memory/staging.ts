/**
 * Host staging buffers (SharedArrayBuffers, like pinned host memory) that the
 * compute thread copies device tensors into and the engine thread reads, and
 * back. Buffers are reused by exact size: each step asks for the same sizes.
 */
export class StagingPool {
  readonly #free = new Map<number, Uint8Array[]>();
  #held = 0;
  #pooled = 0;

  acquire(byteLength: number): Uint8Array {
    const list = this.#free.get(byteLength);
    const b = list?.pop();
    this.#held += byteLength;
    if (b) {
      this.#pooled -= byteLength;
      return b;
    }
    // Round the backing store up to 8 bytes so every view is aligned.
    return new Uint8Array(
      new SharedArrayBuffer(Math.max(8, Math.ceil(byteLength / 8) * 8)),
      0,
      byteLength,
    );
  }

  release(b: Uint8Array): void {
    const n = b.byteLength;
    this.#held -= n;
    this.#pooled += n;
    const list = this.#free.get(n);
    if (list) list.push(b);
    else this.#free.set(n, [b]);
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
