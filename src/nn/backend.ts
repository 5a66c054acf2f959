/**
 * Backend setup. The wasm backend (XNNPACK, SIMD, one thread in Node) is the
 * default; the cpu backend is the slow reference. For wasm, the fast kernels
 * of ./kernels replace or add what tfjs-backend-wasm 4.22 lacks or runs
 * slowly, before the backend is selected. The webgpu backend
 * (tfjs-backend-webgpu on Dawn, the optional package `webgpu`) loads only
 * when chosen, and fails with a WebGpuUnavailableError naming why when no
 * adapter is found (docs/WEBGPU.md).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { InvalidArgumentError } from '../errors.js';
import { INSTALL_HINT, WebGpuUnavailableError, webgpuAdapter } from '../webgpu/adapter.js';
import {
  registerFastKernels,
  registerLayerKernels,
  registerWebGpuLayerKernels,
} from './kernels/register.js';
import type { ComputeDispatch } from './kernels/SgdUpdateWebGpu.js';

export type BackendName = 'wasm' | 'cpu' | 'webgpu';

export const BACKEND_NAMES: readonly BackendName[] = ['wasm', 'cpu', 'webgpu'];

export function parseBackendName(s: string): BackendName {
  if (s === 'wasm' || s === 'cpu' || s === 'webgpu') return s;
  throw new InvalidArgumentError(`unknown backend "${s}"; use one of: ${BACKEND_NAMES.join(', ')}`);
}

/**
 * Registers tfjs-backend-webgpu once an adapter is known to exist (the
 * package registers its backend at import only where navigator.gpu is
 * defined, which ../webgpu/adapter.ts arranges).
 */
async function loadWebGpuBackend(): Promise<void> {
  await webgpuAdapter();
  let mod: { webgpu_util: { computeDispatch: ComputeDispatch } };
  try {
    mod = (await import('@tensorflow/tfjs-backend-webgpu')) as unknown as typeof mod;
  } catch (e) {
    throw new WebGpuUnavailableError(
      `the package @tensorflow/tfjs-backend-webgpu cannot load: ${(e as Error).message.split('\n')[0]}; ${INSTALL_HINT}`,
    );
  }
  if (!tf.findBackendFactory('webgpu')) {
    throw new InvalidArgumentError(
      'tfjs-backend-webgpu did not register: navigator.gpu is missing',
    );
  }
  registerWebGpuLayerKernels(mod.webgpu_util.computeDispatch);
}

/**
 * Select the backend (default wasm) and wait until it is ready. Idempotent:
 * the fast kernels are registered once per process, and switching back and
 * forth between backends keeps each one's tensors.
 */
export async function initBackend(name: BackendName = 'wasm'): Promise<void> {
  if (name === 'webgpu') await loadWebGpuBackend();
  else {
    if (name === 'wasm') registerFastKernels();
    registerLayerKernels(name);
  }
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
