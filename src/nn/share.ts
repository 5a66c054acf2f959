/**
 * A second reference to a tensor's data without copying it. tf.clone copies
 * on the wasm backend (its Identity kernel allocates and copies); a reshape
 * to the same shape shares the data buffer and bumps its reference count, so
 * the bytes are freed when the last reference is disposed.
 */
import * as tf from '@tensorflow/tfjs-core';

export function share<T extends tf.Tensor>(t: T): T {
  return tf.reshape(t, t.shape) as T;
}
