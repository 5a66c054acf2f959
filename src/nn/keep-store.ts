/**
 * The default saved-tensor store: keeps every saved tensor where it is, on
 * the device. pack holds the reference it is given, unpack hands out a
 * second reference to the same data, release drops the held one. It does
 * not deduplicate: a tensor saved by two layers (a ReLU's output that is
 * also the next convolution's input) is two packs of one data buffer, which
 * costs nothing here because both references share the bytes.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { share } from './share.js';
import type { SavedHandle, SavedTensorInfo, SavedTensorStore } from './store.js';

export class KeepStore implements SavedTensorStore {
  private readonly held = new Map<number, Tensor>();
  private nextId = 1;

  pack(t: Tensor, info: SavedTensorInfo): SavedHandle {
    const id = this.nextId++;
    this.held.set(id, t);
    return { id, info, shape: [...t.shape], dtype: t.dtype, bytes: t.size * 4 };
  }

  unpack(h: SavedHandle): Tensor {
    const t = this.held.get(h.id);
    if (!t) throw new Error(`saved tensor ${h.id} (${h.info.layer} ${h.info.role}) is not held`);
    return share(t);
  }

  release(h: SavedHandle): void {
    this.held.get(h.id)?.dispose();
    this.held.delete(h.id);
  }

  /** Tensors currently held (0 between steps). */
  get size(): number {
    return this.held.size;
  }
}
