/// <reference types="@webgpu/types" />
/**
 * The real link (issue 15): on the webgpu backend a saved tensor lives in a
 * GPU buffer, and offloading it is a copy across the GPU's own link into
 * host memory, prefetching it one back.
 *
 * - zvc (cDMA): the WGSL kernels (src/webgpu/zvc.ts) compress the tensor in
 *   GPU memory; only the compressed bytes are copied into a mappable buffer
 *   and across the link, and laid out as the container the wasm path writes
 *   (source-container.ts): ZVC blocks are independent, so the one payload
 *   is cut into the container's chunks at block offsets the encoder reports.
 *   Back, the payloads are uploaded and the kernels decompress them into
 *   the new tensor's GPU buffer.
 * - none (vDNN): the tensor's bytes are copied into a mappable buffer and
 *   across, and written back into a new tensor's buffer.
 * - other codecs (rle, zlib run on the engine thread): the raw bytes come
 *   across into a staging buffer for the engine, and go back the same way.
 *
 * Nothing here blocks the compute thread: the copies are queued on the GPU
 * behind the kernels that made the tensor (tfjs's pending commands are
 * submitted first), mapAsync resolves when they are done, and the manager
 * waits for that only at vDNN's synchronisation points. tfjs 4.22 internals
 * used (checked by test/webgpu/offload-webgpu.test.ts): the backend's
 * `device`, `tensorMap` (a tensor's `resource` is its GPUBuffer),
 * `commandEncoder`, `endComputePassEncoder()`, `submitQueue()`,
 * `makeTensorInfo()` and `uploadToGPU()`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FRAME_HEADER_BYTES } from '../codec/container/format.js';
import { chunkRawRange } from '../codec/container/engine-io.js';
import { InvalidArgumentError } from '../errors.js';
import { submitCopy } from '../webgpu/link.js';
import { GpuZvc, zvcSuperblockIndex } from '../webgpu/zvc.js';
import { sizeClass } from './staging.js';
import {
  containerStart,
  SourceHeaders,
  type HostAlloc,
  type SourceContainer,
} from './source-container.js';

interface TensorData {
  resource: unknown;
  values: unknown;
}

interface WebGpuBackend {
  device: GPUDevice;
  tensorMap: { get(dataId: object): TensorData | undefined };
  commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  uploadToGPU(dataId: object): void;
}

const BLOCK = 32;

function pad4(n: number): number {
  return Math.max(4, Math.ceil(n / 4) * 4);
}

/** The active backend as tfjs-backend-webgpu, or undefined when it is another or lacks what is used here. */
function webgpuBackend(): WebGpuBackend | undefined {
  if (tf.getBackend() !== 'webgpu') return undefined;
  const b = tf.backend() as unknown as Partial<WebGpuBackend>;
  const ok =
    b.device !== undefined &&
    b.tensorMap !== undefined &&
    typeof b.submitQueue === 'function' &&
    typeof b.endComputePassEncoder === 'function' &&
    typeof b.makeTensorInfo === 'function' &&
    typeof b.uploadToGPU === 'function';
  return ok ? (b as WebGpuBackend) : undefined;
}

export class GpuSource {
  /** zvc and none write containers here; 'raw' hands raw bytes to the engine thread's codec. */
  readonly mode: 'zvc' | 'none' | 'raw';
  readonly #b: WebGpuBackend;
  readonly #device: GPUDevice;
  readonly #zvc: GpuZvc | undefined;
  readonly #headers: SourceHeaders | undefined;
  #inFlight = 0;
  /** Mappable host-side buffers for downloads, kept by size class once unmapped. */
  readonly #staging = new Map<number, GPUBuffer[]>();

  private constructor(mode: 'zvc' | 'none' | 'raw', b: WebGpuBackend) {
    this.mode = mode;
    this.#b = b;
    this.#device = b.device;
    this.#zvc = mode === 'zvc' ? new GpuZvc(b.device) : undefined;
    this.#headers = mode === 'raw' ? undefined : new SourceHeaders(mode);
  }

  /**
   * The GPU source for `codec` when the active backend is webgpu, else
   * undefined. `atSource` false: every codec goes through raw bytes.
   */
  static create(codec: string, atSource = true): GpuSource | undefined {
    const b = webgpuBackend();
    if (b === undefined) {
      if (tf.getBackend() === 'webgpu')
        throw new InvalidArgumentError(
          'this tfjs-backend-webgpu lacks what offloading from GPU buffers uses (4.22 has it)',
        );
      return undefined;
    }
    const mode = atSource && (codec === 'zvc' || codec === 'none') ? codec : 'raw';
    return new GpuSource(mode, b);
  }

  /** Whether the manager offloads `t` through here (it must: webgpu has no synchronous readback). */
  handles(t: tf.Tensor): boolean {
    return t.dtype === 'float32' || t.dtype === 'int32';
  }

  /**
   * Device bytes held besides tensors: the compressed payloads of offloads
   * in flight and the ZVC kernels' scratch buffers kept for reuse.
   */
  get inFlightBytes(): number {
    return this.#inFlight + (this.#zvc?.pooledBytes ?? 0);
  }

  /** Destroys the buffers kept for reuse (the manager's close). */
  dispose(): void {
    this.#zvc?.dispose();
    for (const list of this.#staging.values()) for (const b of list) b.destroy();
    this.#staging.clear();
  }

  /** A MAP_READ buffer holding at least `bytes`: one kept from an earlier download, or a new one. */
  #takeStaging(bytes: number): GPUBuffer {
    const size = sizeClass(pad4(bytes));
    return (
      this.#staging.get(size)?.pop() ??
      this.#device.createBuffer({
        size,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      })
    );
  }

  /** Unmaps a download's staging buffer and keeps it for the next. */
  #keepStaging(b: GPUBuffer): void {
    b.unmap();
    const list = this.#staging.get(b.size);
    if (list) list.push(b);
    else this.#staging.set(b.size, [b]);
  }

  /**
   * `t`'s GPU buffer, with every command tfjs has recorded so far submitted
   * (the kernel that wrote `t` among them), so that what is queued next
   * reads the finished tensor.
   */
  #bufferOf(t: tf.Tensor): GPUBuffer {
    const d = this.#b.tensorMap.get(t.dataId);
    if (d === undefined) throw new InvalidArgumentError('the tensor to offload is disposed');
    if (d.resource == null) this.#b.uploadToGPU(t.dataId);
    const r = this.#b.tensorMap.get(t.dataId)?.resource;
    if (!(r instanceof GPUBuffer))
      throw new InvalidArgumentError('the tensor to offload is not in a GPU buffer');
    this.#flush();
    return r;
  }

  #flush(): void {
    if (this.#b.commandEncoder !== null) {
      this.#b.endComputePassEncoder();
      this.#b.submitQueue();
    }
  }

  /** Copies the first `bytes` bytes of `src` across the link; resolves with the mapped staging buffer. */
  async #download(src: GPUBuffer, bytes: number): Promise<GPUBuffer> {
    const staging = this.#takeStaging(bytes);
    try {
      submitCopy(this.#device, src, staging, pad4(bytes));
      await staging.mapAsync(GPUMapMode.READ, 0, pad4(bytes));
      return staging;
    } catch (e) {
      staging.destroy();
      throw e;
    }
  }

  /**
   * Offloads `t` (mode zvc or none): its commands are queued before this
   * returns, so the caller may drop `t` at once. Resolves with its
   * container in a host block from `alloc`.
   */
  offloadSealed(t: tf.Tensor, alloc: HostAlloc): Promise<SourceContainer> {
    if (this.mode === 'raw') throw new InvalidArgumentError('offloadSealed with a raw GPU source');
    const src = this.#bufferOf(t);
    const { h, bytes: header } = this.#headers!.get(t.shape);
    const n = h.elements;
    const start = containerStart(h.headerBytes);
    const frames = h.headerBytes + h.chunkCount * FRAME_HEADER_BYTES;
    /** Writes the container whose chunk i's payload is mapped[cut[i], cut[i + 1]). */
    const write = (mapped: Uint8Array, cut: number[], nonZero: number): SourceContainer => {
      const total = frames + cut[cut.length - 1];
      const block = alloc.acquireBlock(start + total);
      const bytes = block.subarray(start, start + total);
      bytes.set(header, 0);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      let p = header.byteLength;
      for (let i = 0; i < h.chunkCount; i++) {
        const len = cut[i + 1] - cut[i];
        view.setUint32(p, len, true);
        bytes.set(mapped.subarray(cut[i], cut[i + 1]), p + FRAME_HEADER_BYTES);
        p += FRAME_HEADER_BYTES + len;
      }
      return { bytes, block, nonZero };
    };
    if (n === 0)
      return Promise.resolve(write(new Uint8Array(0), new Array(h.chunkCount + 1).fill(0), 0));
    if (this.mode === 'none') {
      const cut = [0];
      for (let i = 0; i < h.chunkCount; i++) cut.push(chunkRawRange(h, i)[1]);
      return this.#download(src, n * 4).then((staging) => {
        try {
          return write(new Uint8Array(staging.getMappedRange(0, pad4(n * 4))), cut, -1);
        } finally {
          this.#keepStaging(staging);
        }
      });
    }
    // zvc: compress on the GPU; only the payload crosses.
    const marks: number[] = [];
    for (let i = 1; i < h.chunkCount; i++) marks.push((i * h.chunkElements) / BLOCK);
    const nblocks = Math.ceil(n / BLOCK);
    const maxBytes = pad4(4 * nblocks + 4 * n);
    this.#inFlight += maxBytes;
    const encoded = this.#zvc!.encode(src, n, 4, marks);
    let held = true;
    const letGo = () => {
      if (held) this.#inFlight -= maxBytes;
      held = false;
    };
    return (async () => {
      let payload: GPUBuffer | undefined;
      try {
        const p = await encoded;
        payload = p.buffer;
        const staging = await this.#download(p.buffer, p.byteLength);
        payload.destroy();
        payload = undefined;
        letGo();
        try {
          const mapped = new Uint8Array(staging.getMappedRange(0, pad4(p.byteLength)));
          const nonZero = (p.byteLength - 4 * nblocks) / 4;
          return write(mapped, [0, ...p.marks, p.byteLength], nonZero);
        } finally {
          this.#keepStaging(staging);
        }
      } finally {
        payload?.destroy();
        letGo(); // a failed encode included
      }
    })();
  }

  /** Copies `t`'s raw bytes across the link into `dest` (mode raw: for a codec on the engine thread). */
  async readRaw(t: tf.Tensor, dest: Uint8Array): Promise<void> {
    const bytes = t.size * 4;
    if (dest.byteLength !== bytes)
      throw new InvalidArgumentError(
        `staging buffer of ${dest.byteLength} bytes for a ${bytes}-byte tensor`,
      );
    if (bytes === 0) return;
    const staging = await this.#download(this.#bufferOf(t), bytes);
    try {
      dest.set(new Uint8Array(staging.getMappedRange(0, pad4(bytes)), 0, bytes));
    } finally {
      this.#keepStaging(staging);
    }
  }

  /** A new tensor and its (tfjs-owned) GPU buffer, to be filled by commands queued now. */
  #newTensor(
    shape: readonly number[],
    dtype: tf.DataType,
  ): { info: tf.TensorInfo; buffer: GPUBuffer } {
    if (dtype !== 'float32' && dtype !== 'int32')
      throw new InvalidArgumentError(`cannot bring back a ${dtype} tensor`);
    this.#flush();
    const info = this.#b.makeTensorInfo([...shape], dtype);
    this.#b.uploadToGPU(info.dataId);
    const buffer = this.#b.tensorMap.get(info.dataId)?.resource;
    if (!(buffer instanceof GPUBuffer))
      throw new InvalidArgumentError('tfjs-backend-webgpu gave the new tensor no GPU buffer');
    return { info, buffer };
  }

  /** Queues `bytes` (a multiple of 4 long) into `buffer` at `offset`. */
  #write(buffer: GPUBuffer, offset: number, bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    // Dawn copies the bytes out at once; a view of shared memory is copied into a plain one first.
    const plain = bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
    this.#device.queue.writeBuffer(
      buffer,
      offset,
      plain.buffer,
      plain.byteOffset,
      plain.byteLength,
    );
  }

  /**
   * A new tensor of `shape` and `dtype` holding the tensor whose container
   * is `container` (checked by the engine just before; its structure again
   * here). The upload and the decompression are queued ahead of whatever
   * the caller runs on the tensor.
   */
  decodeSealed(container: Uint8Array, shape: readonly number[], dtype: tf.DataType): tf.Tensor {
    if (this.mode === 'raw') throw new InvalidArgumentError('decodeSealed with a raw GPU source');
    const c = this.#headers!.frames(container, shape);
    const h = c.header;
    const { info, buffer } = this.#newTensor(shape, dtype);
    const tensor = tf.engine().makeTensorFromTensorInfo(info);
    try {
      const payload = (i: number) =>
        container.subarray(c.frameOffsets[i], c.frameOffsets[i] + c.payloadBytes[i]);
      if (this.mode === 'none') {
        for (let i = 0; i < h.chunkCount; i++)
          this.#write(buffer, chunkRawRange(h, i)[0], payload(i));
        return tensor;
      }
      if (h.elements === 0) return tensor;
      // One payload on the GPU (the chunks' payloads back to back are the tensor's ZVC stream),
      // with the offset of every 32nd block, checked chunk by chunk as the CPU decoder checks.
      const total = c.payloadBytes.reduce((a, b) => a + b, 0);
      const superPerChunk = h.chunkElements / (BLOCK * BLOCK);
      const index = new Uint32Array(Math.ceil(Math.ceil(h.elements / BLOCK) / BLOCK));
      const comp = this.#device.createBuffer({
        size: pad4(total),
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      });
      try {
        let at = 0;
        for (let i = 0; i < h.chunkCount; i++) {
          const [a, e] = chunkRawRange(h, i);
          const part = zvcSuperblockIndex(payload(i), (e - a) / 4, 4);
          for (let k = 0; k < part.length && i * superPerChunk + k < index.length; k++)
            index[i * superPerChunk + k] = part[k] + at;
          this.#write(comp, at, payload(i));
          at += c.payloadBytes[i];
        }
        this.#zvc!.decode(comp, h.elements, 4, index, buffer);
      } finally {
        comp.destroy(); // after submit: the queue keeps it until the decode is done
      }
      return tensor;
    } catch (e) {
      tensor.dispose();
      throw e;
    }
  }

  /** A new tensor holding the raw bytes `bytes` (mode raw: what the engine thread decoded). */
  uploadRaw(bytes: Uint8Array, shape: readonly number[], dtype: tf.DataType): tf.Tensor {
    const { info, buffer } = this.#newTensor(shape, dtype);
    const tensor = tf.engine().makeTensorFromTensorInfo(info);
    try {
      const n = shape.reduce((a, d) => a * d, 1) * 4;
      if (bytes.byteLength !== n)
        throw new InvalidArgumentError(`${bytes.byteLength} bytes for a ${n}-byte tensor`);
      this.#write(buffer, 0, bytes);
      return tensor;
    } catch (e) {
      tensor.dispose();
      throw e;
    }
  }
}
