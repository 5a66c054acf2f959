/**
 * The refusal before the wasm heap limit: tfjs-backend-wasm stops near
 * 3936 MiB and past it silently corrupts tensors (DESIGN.md section 4), so
 * the executor checks each layer's allocation against a configurable limit
 * first.
 */
import { DeviceMemoryError } from '../errors.js';

/** Default limit: 3.75 GiB, below the ~3.84 GiB where the wasm heap stops. */
export const DEFAULT_DEVICE_LIMIT_BYTES = 3.75 * 1024 ** 3;

/**
 * The device limit when none is given, for a backend: the wasm heap's (and
 * cpu's, which keeps the same figure); none on webgpu, where WebGPU does not
 * say how much memory the GPU has (an H200 has 141 GB) and the GPU refuses
 * an allocation past it itself. --budget sets one on any backend.
 */
export function defaultDeviceLimitBytes(backend: string): number {
  return backend === 'webgpu' ? Infinity : DEFAULT_DEVICE_LIMIT_BYTES;
}

/** Whether the backend's device memory is the wasm heap (or shares its limits): not on webgpu. */
export function hasHeapLimit(backend: string): boolean {
  return backend !== 'webgpu';
}

export function formatDeviceBytes(bytes: number): string {
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${Math.round(bytes / 1024 ** 2)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2).replace(/0$/, '')} GiB`;
}

/** Throws DeviceMemoryError when `need` more bytes would take `inUse` past `limit`. */
export function checkDeviceRoom(
  layer: string,
  pass: 'forward' | 'backward',
  need: number,
  inUse: number,
  limit: number,
): void {
  if (inUse + need <= limit) return;
  throw new DeviceMemoryError(
    `layer ${layer} (${pass}) needs ${formatDeviceBytes(need)} more; ` +
      `${formatDeviceBytes(inUse)} of ${formatDeviceBytes(limit)} in use; ` +
      'lower the batch (--batch, or --eval-batch while evaluating) or offload more activations (--policy all)',
  );
}
