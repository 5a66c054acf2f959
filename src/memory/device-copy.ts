/**
 * Copies between device tensors and host staging buffers, the only work the
 * compute thread does for a transfer. On the wasm backend a tensor's bytes
 * live in the backend's heap at dataIdMap.get(dataId).memoryOffset (tfjs
 * 4.22 internals, checked by test/memory/device-copy.test.ts), so copying out
 * is one memcpy; other backends go through dataSync().
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';

interface WasmTensorData {
  memoryOffset: number | null;
}
interface WasmBackendLike {
  dataIdMap: { get(dataId: object): WasmTensorData | undefined };
  wasm: { HEAPU8: Uint8Array };
}

function wasmBackendOf(t: tf.Tensor): WasmBackendLike | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const b = tf.backend() as unknown as Partial<WasmBackendLike>;
  if (!b.dataIdMap || !b.wasm?.HEAPU8) return undefined;
  const data = b.dataIdMap.get(t.dataId);
  if (!data || typeof data.memoryOffset !== 'number') return undefined;
  return b as WasmBackendLike;
}

export function bytesPerElementOf(dtype: tf.DataType): 1 | 4 {
  switch (dtype) {
    case 'float32':
    case 'int32':
      return 4;
    case 'bool':
      return 1;
    default:
      throw new InvalidArgumentError(`cannot offload a ${dtype} tensor`);
  }
}

export function byteSizeOf(t: tf.Tensor): number {
  return t.size * bytesPerElementOf(t.dtype);
}

/** Copies the bytes of `t` into `dest` (exactly byteSizeOf(t) bytes). Returns whether the heap fast path was used. */
export function copyOut(t: tf.Tensor, dest: Uint8Array): boolean {
  const n = byteSizeOf(t);
  if (dest.byteLength !== n) {
    throw new InvalidArgumentError(
      `staging buffer of ${dest.byteLength} bytes for a ${n}-byte tensor`,
    );
  }
  const b = wasmBackendOf(t);
  if (b) {
    const off = b.dataIdMap.get(t.dataId)!.memoryOffset!;
    const heap = b.wasm.HEAPU8;
    dest.set(heap.subarray(off, off + n));
    return true;
  }
  const v = t.dataSync() as Float32Array | Int32Array | Uint8Array;
  dest.set(new Uint8Array(v.buffer, v.byteOffset, n));
  return false;
}

/**
 * Creates a device tensor holding the bytes of `src`. The wasm backend copies
 * them into its heap; the others keep the array they are given, so those get
 * a private copy (src is a reused staging buffer).
 */
export function copyIn(src: Uint8Array, shape: readonly number[], dtype: tf.DataType): tf.Tensor {
  const wasm = tf.getBackend() === 'wasm';
  const bytes = wasm ? src : src.slice();
  const n = shape.reduce((a, d) => a * d, 1);
  let values: Float32Array | Int32Array | Uint8Array;
  switch (dtype) {
    case 'float32':
      values = new Float32Array(bytes.buffer, bytes.byteOffset, n);
      break;
    case 'int32':
      values = new Int32Array(bytes.buffer, bytes.byteOffset, n);
      break;
    case 'bool':
      values = new Uint8Array(bytes.buffer, bytes.byteOffset, n);
      break;
    default:
      throw new InvalidArgumentError(`cannot bring back a ${dtype} tensor`);
  }
  return tf.tensor(values, [...shape], dtype);
}
