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

/** Offload: GPU buffer -> MAP_READ buffer -> host array. */
export async function measureDownload(
  device: GPUDevice,
  bytes: number,
  reps: number,
): Promise<LinkTiming> {
  const src = device.createBuffer({
    size: bytes,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
  });
  const staging = device.createBuffer({
    size: bytes,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const host = new Uint8Array(bytes);
  try {
    const seconds = await timeRuns(reps, async () => {
      const enc = device.createCommandEncoder();
      enc.copyBufferToBuffer(src, 0, staging, 0, bytes);
      device.queue.submit([enc.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      host.set(new Uint8Array(staging.getMappedRange()));
      staging.unmap();
    });
    return timing(bytes, seconds);
  } finally {
    src.destroy();
    staging.destroy();
  }
}

/** Prefetch by queue.writeBuffer: host array -> GPU buffer. */
export async function measureUpload(
  device: GPUDevice,
  bytes: number,
  reps: number,
): Promise<LinkTiming> {
  const dst = device.createBuffer({
    size: bytes,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  const host = new Uint8Array(bytes).fill(1);
  try {
    const seconds = await timeRuns(reps, async () => {
      device.queue.writeBuffer(dst, 0, host);
      await device.queue.onSubmittedWorkDone();
    });
    return timing(bytes, seconds);
  } finally {
    dst.destroy();
  }
}

/** Prefetch through a mapped MAP_WRITE buffer, then a GPU copy into the destination. */
export async function measureMappedUpload(
  device: GPUDevice,
  bytes: number,
  reps: number,
): Promise<LinkTiming> {
  const dst = device.createBuffer({
    size: bytes,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  const staging = device.createBuffer({
    size: bytes,
    usage: GPUBufferUsage.MAP_WRITE | GPUBufferUsage.COPY_SRC,
  });
  const host = new Uint8Array(bytes).fill(1);
  try {
    const seconds = await timeRuns(reps, async () => {
      await staging.mapAsync(GPUMapMode.WRITE);
      new Uint8Array(staging.getMappedRange()).set(host);
      staging.unmap();
      const enc = device.createCommandEncoder();
      enc.copyBufferToBuffer(staging, 0, dst, 0, bytes);
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
    });
    return timing(bytes, seconds);
  } finally {
    dst.destroy();
    staging.destroy();
  }
}

/** The GPU's buffer-to-buffer copy of `bytes` (device memory bandwidth as the copy engine sees it). */
export async function measureDeviceCopy(
  device: GPUDevice,
  bytes: number,
  reps: number,
): Promise<LinkTiming> {
  const a = device.createBuffer({
    size: bytes,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
  });
  const b = device.createBuffer({
    size: bytes,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  try {
    const seconds = await timeRuns(reps, async () => {
      const enc = device.createCommandEncoder();
      enc.copyBufferToBuffer(a, 0, b, 0, bytes);
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
    });
    return timing(bytes, seconds);
  } finally {
    a.destroy();
    b.destroy();
  }
}
