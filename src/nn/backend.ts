/**
 * Backend setup. The wasm backend (XNNPACK, SIMD, one thread in Node) is the
 * default; the cpu backend is the slow reference. For wasm, the fast kernels
 * of ./kernels replace or add what tfjs-backend-wasm 4.22 lacks or runs
 * slowly, before the backend is selected.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { InvalidArgumentError } from '../errors.js';
import { registerFastKernels, registerLayerKernels } from './kernels/register.js';

export type BackendName = 'wasm' | 'cpu';

export const BACKEND_NAMES: readonly BackendName[] = ['wasm', 'cpu'];

export function parseBackendName(s: string): BackendName {
  if (s === 'wasm' || s === 'cpu') return s;
  throw new InvalidArgumentError(`unknown backend "${s}"; use one of: ${BACKEND_NAMES.join(', ')}`);
}

/**
 * Select the backend (default wasm) and wait until it is ready. Idempotent:
 * the fast kernels are registered once per process, and switching back and
 * forth between backends keeps each one's tensors.
 */
export async function initBackend(name: BackendName = 'wasm'): Promise<void> {
  if (name === 'wasm') registerFastKernels();
  registerLayerKernels(name);
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new InvalidArgumentError(`backend "${name}" failed to initialise`);
  }
  await tf.ready();
  // The cpu backend prints a banner recommending tfjs-node on first use in
  // Node; cdma selects the cpu backend on purpose (tfjs-node cannot install
  // offline, DESIGN.md section 4).
  if (name === 'cpu') (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
}
