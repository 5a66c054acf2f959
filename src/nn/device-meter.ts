/**
 * Device bytes in use, counted per data buffer. tf.memory().numBytes counts
 * every tensor reference, so two references to one buffer (a reshape, the
 * saved-tensor store's own reference) would count twice; here a buffer
 * counts once, from the moment the executor sees a tensor on it until the
 * backend frees it (whoever held the last reference: the executor or the
 * store). Parameters, gradients, optimiser slots and batchnorm buffers are
 * read from their holders at each measurement (a Variable's buffer changes
 * on every assign).
 */
import type { DataId, KernelBackend, Tensor } from '@tensorflow/tfjs';
import type { Buffer, Param } from './param.js';

export class DeviceMeter {
  private readonly seen = new Map<DataId, number>();

  constructor(
    private readonly backend: KernelBackend,
    private readonly params: readonly Param[],
    private readonly buffers: readonly Buffer[],
  ) {}

  track(t: Tensor | null | undefined): void {
    if (!t || t.isDisposed || this.seen.has(t.dataId)) return;
    this.seen.set(t.dataId, t.size * bytesPerElement(t.dtype));
  }

  current(): number {
    const counted = new Set<DataId>();
    let sum = 0;
    const add = (t: Tensor | null): void => {
      if (!t || t.isDisposed || counted.has(t.dataId)) return;
      counted.add(t.dataId);
      sum += t.size * bytesPerElement(t.dtype);
    };
    for (const p of this.params) {
      add(p.value);
      add(p.grad);
      for (const s of p.slots) add(s);
    }
    for (const b of this.buffers) add(b.value);
    for (const [id, bytes] of this.seen) {
      if (counted.has(id)) continue;
      if (this.backend.refCount(id) <= 0) {
        this.seen.delete(id);
        continue;
      }
      counted.add(id);
      sum += bytes;
    }
    return sum;
  }
}

function bytesPerElement(dtype: string): number {
  return dtype === 'bool' ? 1 : 4;
}
