/// <reference types="@webgpu/types" />
/**
 * The real GPU <-> host link, measured. GPU -> host is what an offload
 * does: copyBufferToBuffer into a MAP_READ buffer, mapAsync, and a copy of
 * the mapped bytes into host memory. Host -> GPU is what a prefetch does:
 * queue.writeBuffer (Dawn stages the bytes itself), or a mapped upload (a
 * MAP_WRITE buffer filled, then copied on the GPU). Each transfer is timed
 * until the GPU reports the work done. Also the GPU's own buffer-to-buffer
 * copy, the peer that ZVC kernels are measured against.
 */

export interface LinkTiming {
  /** Bytes per transfer. */
  readonly bytes: number;
  /** Seconds of each repetition. */
  readonly seconds: number[];
  /** bytes / median seconds / 1e9. */
  readonly gbps: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function timing(bytes: number, seconds: number[]): LinkTiming {
  return { bytes, seconds, gbps: bytes / median(seconds) / 1e9 };
}

/** Seconds of `f` (awaited), `reps` times after one warm-up run. */
export async function timeRuns(reps: number, f: () => Promise<void>): Promise<number[]> {
  await f();
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await f();
    out.push((performance.now() - t0) / 1000);
  }
  return out;
}

/**
 * Times `run` on buffers of `bytes` bytes with the given usages (made
 * first, destroyed after, whatever happens).
 */
async function timeOnBuffers(
  device: GPUDevice,
  bytes: number,
  reps: number,
  usages: readonly number[],
  run: (buffers: GPUBuffer[]) => Promise<void>,
): Promise<LinkTiming> {
  const buffers: GPUBuffer[] = [];
  try {
    for (const usage of usages) buffers.push(device.createBuffer({ size: bytes, usage }));
    return timing(bytes, await timeRuns(reps, () => run(buffers)));
  } finally {
    for (const b of buffers) b.destroy();
  }
}

/** Submits a copy of the first `bytes` bytes of `from` into `to`. */
export function submitCopy(device: GPUDevice, from: GPUBuffer, to: GPUBuffer, bytes: number): void {
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(from, 0, to, 0, bytes);
  device.queue.submit([enc.finish()]);
}

/** Offload: GPU buffer -> MAP_READ buffer -> host array. */
export function measureDownload(
  device: GPUDevice,
  bytes: number,
  reps: number,
): Promise<LinkTiming> {
  const host = new Uint8Array(bytes);
  return timeOnBuffers(
    device,
    bytes,
    reps,
    [
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    ],
    async ([src, staging]) => {
      submitCopy(device, src, staging, bytes);
      await staging.mapAsync(GPUMapMode.READ);
      host.set(new Uint8Array(staging.getMappedRange()));
      staging.unmap();
    },
  );
}

/** Prefetch by queue.writeBuffer: host array -> GPU buffer. */
export function measureUpload(device: GPUDevice, bytes: number, reps: number): Promise<LinkTiming> {
  const host = new Uint8Array(bytes).fill(1);
  return timeOnBuffers(
    device,
    bytes,
    reps,
    [GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST],
    async ([dst]) => {
      device.queue.writeBuffer(dst, 0, host);
      await device.queue.onSubmittedWorkDone();
    },
  );
}

/** Prefetch through a mapped MAP_WRITE buffer, then a GPU copy into the destination. */
export function measureMappedUpload(
  device: GPUDevice,
  bytes: number,
  reps: number,
): Promise<LinkTiming> {
  const host = new Uint8Array(bytes).fill(1);
  return timeOnBuffers(
    device,
    bytes,
    reps,
    [
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      GPUBufferUsage.MAP_WRITE | GPUBufferUsage.COPY_SRC,
    ],
    async ([dst, staging]) => {
      await staging.mapAsync(GPUMapMode.WRITE);
      new Uint8Array(staging.getMappedRange()).set(host);
      staging.unmap();
      submitCopy(device, staging, dst, bytes);
      await device.queue.onSubmittedWorkDone();
    },
  );
}

/** The GPU's buffer-to-buffer copy of `bytes` (device memory bandwidth as the copy engine sees it). */
export function measureDeviceCopy(
  device: GPUDevice,
  bytes: number,
  reps: number,
): Promise<LinkTiming> {
  return timeOnBuffers(
    device,
    bytes,
    reps,
    [
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    ],
    async ([a, b]) => {
      submitCopy(device, a, b, bytes);
      await device.queue.onSubmittedWorkDone();
    },
  );
}
