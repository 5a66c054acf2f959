/**
 * Device bytes in use, counted per data buffer. tf.memory().numBytes counts
 * every tensor reference, so two references to one buffer (a reshape, the
 * saved-tensor store's own reference) would count twice; here a buffer
 * counts once, from the moment the executor sees a tensor on it until the
 * backend frees it (whoever held the last reference: the executor or the
 * store). Parameters, their gradients, optimiser slots and batchnorm
 * buffers are read from their holders at each measurement (a Variable's
 * buffer changes on every assign); they never share a buffer with each
 * other or with an activation, so they are simply added.
 */
import type { DataId, KernelBackend, Tensor } from '@tensorflow/tfjs-core';
import type { Buffer, Param } from './param.js';

export class DeviceMeter {
  private readonly seen = new Map<DataId, number>();

  constructor(
    private readonly backend: KernelBackend,
    private readonly params: readonly Param[],
    private readonly buffers: readonly Buffer[],
  ) {}

  /** Counts t's buffer until the backend frees it. Not for parameters or their gradients. */
  track(t: Tensor | null | undefined): void {
    if (!t || t.isDisposed || this.seen.has(t.dataId)) return;
    this.seen.set(t.dataId, t.size * bytesPerElement(t.dtype));
  }

  current(): number {
    let sum = 0;
    for (const p of this.params) {
      sum += bytesOf(p.value) + bytesOf(p.grad);
      for (const s of p.slots) sum += bytesOf(s);
    }
    for (const b of this.buffers) sum += bytesOf(b.value);
    for (const [id, bytes] of this.seen) {
      if (this.backend.refCount(id) > 0) sum += bytes;
      else this.seen.delete(id);
    }
    return sum;
  }
}

function bytesOf(t: Tensor | null): number {
  return t && !t.isDisposed ? t.size * bytesPerElement(t.dtype) : 0;
}

function bytesPerElement(dtype: string): number {
  return dtype === 'bool' ? 1 : 4;
}
