/**
 * The one seam through which every activation saved for backward passes
 * (like PyTorch's saved-tensor hooks). The executor calls pack when a layer
 * saves a tensor in forward, unpack when the layer's backward needs it, and
 * release when it is dead. The default store keeps tensors in place on the
 * device; the memory manager (src/memory) implements the same interface to
 * offload, compress and prefetch.
 *
 * Ownership: pack receives its own reference (a same-shape tf.reshape sharing
 * the data; tf.clone would copy on the wasm backend);
 * the store disposes it whenever it likes (e.g. once offloaded). The device
 * bytes are freed when both the store and the executor dropped theirs.
 * unpack returns a tensor the executor must dispose after use.
 *
 * The layer-boundary hooks let a store start transfers when a layer starts
 * and synchronise at its end (vDNN), and prefetch ahead in the backward pass.
 * All hooks may return promises; the executor awaits them.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayerKind } from './spec.js';

export interface SavedTensorInfo {
  /** Layer that saves the tensor. */
  readonly layer: string;
  /** Its position in the model's topological order. */
  readonly layerIndex: number;
  readonly kind: LayerKind;
  readonly role: 'input' | 'output' | 'mask';
  /** For role 'input': which of the layer's inputs (spec order); absent means 0. */
  readonly input?: number;
}

export interface SavedHandle {
  readonly id: number;
  readonly info: SavedTensorInfo;
  readonly shape: readonly number[];
  readonly dtype: string;
  /** Raw size in bytes on the device. */
  readonly bytes: number;
}

export interface SavedTensorStore {
  beginStep?(step: number): void | Promise<void>;
  endStep?(step: number): void | Promise<void>;
  beginForward?(layerIndex: number): void | Promise<void>;
  endForward?(layerIndex: number): void | Promise<void>;
  beginBackward?(layerIndex: number): void | Promise<void>;
  endBackward?(layerIndex: number): void | Promise<void>;
  pack(t: Tensor, info: SavedTensorInfo): SavedHandle;
  unpack(h: SavedHandle): Tensor | Promise<Tensor>;
  release(h: SavedHandle): void;
}
