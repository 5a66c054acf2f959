/**
 * Compression at the source (issue 11): on the wasm backend, a saved
 * tensor's container is written straight from its bytes in the tfjs heap
 * into host memory, and on the way back decoded straight into the new
 * tensor's heap memory. No staging copy of the raw tensor on either path.
 *
 * - zvc: the ZVC kernels (src/codec/zvc-wasm.ts) run in tfjs's own
 *   WebAssembly memory. They can only address that memory, so each chunk
 *   (1 MiB raw) is encoded into a small heap scratch area and its
 *   compressed bytes copied out into the host container (the one copy left
 *   is of compressed bytes, chunk by chunk, while they are in cache); back,
 *   each chunk's payload is copied into the scratch area and decoded into
 *   the tensor.
 * - none: the container's payloads are the raw bytes: one copy out of the
 *   heap into host memory, one copy back into the new tensor.
 *
 * The engine thread then computes the frame checksums, keeps the container
 * and checks it on the way back (transfer-worker.ts), unless the compute
 * thread needs it first: then decode checks it (manager.ts). Other backends and
 * codecs (rle, zlib: they run on the engine thread) use staging buffers.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CodecId } from '../codec/codec.js';
import { ZvcWasm } from '../codec/zvc-wasm.js';
import { zvcMaxSize } from '../codec/zvc-format.js';
import { FRAME_HEADER_BYTES, hex32, type ContainerHeader } from '../codec/container/format.js';
import { chunkRawRange } from '../codec/container/engine-io.js';
import { crc32 } from '../codec/container/crc32.js';
import { CorruptDataError } from '../errors.js';
import {
  ALIGN,
  containerStart,
  SourceHeaders,
  type HostAlloc,
  type SourceContainer,
} from './source-container.js';

interface WasmBackend {
  dataIdMap: { get(dataId: object): { memoryOffset: number | null } | undefined };
  wasm: {
    HEAPU8: Uint8Array;
    _malloc(n: number): number;
    _free(p: number): void;
    asm?: { memory?: unknown };
  };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/** `base` moved forward (by less than 8) to the alignment of `like` modulo 8. */
function alignedLike(base: number, like: number): number {
  return base + ((((like - base) % ALIGN) + ALIGN) % ALIGN);
}

/** The ZVC kernels running in the backend's heap, or undefined where they cannot. */
function heapKernels(backend: WasmBackend): ZvcWasm | undefined {
  const memory = backend.wasm.asm?.memory as ConstructorParameters<typeof Object>[0];
  if (memory === undefined) return undefined;
  // The tables' size is a property of the kernel module: ask an instance in its own memory.
  const probe = ZvcWasm.create();
  if (probe === undefined) return undefined;
  const tables = backend.wasm._malloc(probe.tablesBytes) >>> 0;
  const zvc = ZvcWasm.create({ memory: memory as never, tables });
  if (zvc === undefined) backend.wasm._free(tables);
  return zvc;
}

export class SourceCodec {
  readonly codec: 'zvc' | 'none';
  readonly #b: WasmBackend;
  readonly #zvc: ZvcWasm | undefined;
  #scratch = 0;
  #scratchBytes = 0;
  /** The header (and its bytes) of each tensor shape seen: written by encode, expected by decode. */
  readonly #headers: SourceHeaders;

  private constructor(codec: 'zvc' | 'none', b: WasmBackend, zvc: ZvcWasm | undefined) {
    this.codec = codec;
    this.#b = b;
    this.#zvc = zvc;
    this.#headers = new SourceHeaders(codec);
  }

  /**
   * A source codec for `codec` on the active backend, or undefined where
   * there is none (not the wasm backend, a codec that runs on the engine
   * thread, no WebAssembly SIMD ZVC kernel).
   */
  static create(codec: CodecId): SourceCodec | undefined {
    if (codec !== 'zvc' && codec !== 'none') return undefined;
    if (tf.getBackend() !== 'wasm') return undefined;
    const b = tf.backend() as unknown as Partial<WasmBackend>;
    if (!b.dataIdMap || !b.wasm?.HEAPU8 || !b.wasm._malloc || !b.makeOutput) return undefined;
    const backend = b as WasmBackend;
    const zvc = heapKernels(backend);
    // Codec none needs no kernel; with one it counts the non-zeros where the bytes are.
    if (codec === 'none') return new SourceCodec('none', backend, zvc);
    if (zvc === undefined) return undefined;
    return new SourceCodec('zvc', backend, zvc);
  }

  /** Whether `t` can be compressed at the source (4-byte elements in the heap). */
  handles(t: tf.Tensor): boolean {
    if (t.dtype !== 'float32' && t.dtype !== 'int32') return false;
    const d = this.#b.dataIdMap.get(t.dataId);
    return d !== undefined && typeof d.memoryOffset === 'number';
  }

  #ensureScratch(bytes: number): number {
    if (this.#scratchBytes < bytes) {
      if (this.#scratch !== 0) this.#b.wasm._free(this.#scratch);
      this.#scratch = this.#b.wasm._malloc(bytes) >>> 0;
      this.#scratchBytes = bytes;
    }
    return this.#scratch;
  }

  /** Heap bytes the scratch area holds (device memory outside the executor's tensors). */
  get scratchBytes(): number {
    return this.#scratchBytes;
  }

  /**
   * Writes the container of `t` into a host block from `alloc`. `hint` is
   * the container's length last time (0: unknown): a zvc container is
   * written into a block of that size class, and one that outgrows it is
   * sized exactly (a counting pass) and written again.
   */
  encode(t: tf.Tensor, alloc: HostAlloc, hint: number): SourceContainer {
    const { h, bytes: header } = this.#headers.get(t.shape);
    const src = this.#b.dataIdMap.get(t.dataId)!.memoryOffset!;
    const start = containerStart(h.headerBytes);
    if (this.codec === 'none') {
      const total = h.headerBytes + h.chunkCount * FRAME_HEADER_BYTES + h.elements * 4;
      const block = alloc.acquireBlock(start + total);
      const bytes = block.subarray(start, start + total);
      const heap = this.#b.wasm.HEAPU8;
      bytes.set(header, 0);
      let p = header.byteLength;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const count = this.#zvc;
      let nonZero = count ? 0 : -1;
      for (let i = 0; i < h.chunkCount; i++) {
        const [a, z] = chunkRawRange(h, i);
        view.setUint32(p, z - a, true);
        bytes.set(heap.subarray(src + a, src + z), p + FRAME_HEADER_BYTES);
        // Counted right after the copy read the chunk (in cache): the engine need not count it.
        if (count) nonZero += count.countNonZeroAt(src + a, (z - a) / 4, 4);
        p += FRAME_HEADER_BYTES + z - a;
      }
      return { bytes, block, nonZero };
    }
    if (hint > 0) {
      const block = alloc.acquireBlock(start + hint);
      const r = this.#zvcInto(h, header, src, block, start);
      if (r !== undefined) return r;
      alloc.release(block); // denser than last time: size it exactly
    }
    const exact = this.#zvcExactSize(h, src);
    const block = alloc.acquireBlock(start + exact);
    const r = this.#zvcInto(h, header, src, block, start);
    if (r === undefined) {
      alloc.release(block);
      throw new Error(`zvc container outgrew its exact size ${exact}`);
    }
    return r;
  }

  #zvcExactSize(h: ContainerHeader, src: number): number {
    const z = this.#zvc!;
    let total = h.headerBytes;
    for (let i = 0; i < h.chunkCount; i++) {
      const [a, e] = chunkRawRange(h, i);
      const n = (e - a) / 4;
      total += FRAME_HEADER_BYTES + 4 * Math.ceil(n / 32) + 4 * z.countNonZeroAt(src + a, n, 4);
    }
    return total;
  }

  /** The zvc container in `block`, or undefined (the block given back is the caller's) when it does not fit. */
  #zvcInto(
    h: ContainerHeader,
    header: Uint8Array,
    src: number,
    block: Uint8Array,
    start: number,
  ): SourceContainer | undefined {
    const z = this.#zvc!;
    const scratch = this.#ensureScratch(zvcMaxSize(h.chunkElements, 4) + 64);
    const heap = this.#b.wasm.HEAPU8; // after the scratch allocation (the heap may have grown)
    block.set(header, start);
    let p = start + header.byteLength;
    const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
    let nonZero = 0;
    for (let i = 0; i < h.chunkCount; i++) {
      const [a, e] = chunkRawRange(h, i);
      const n = (e - a) / 4;
      const at = p + FRAME_HEADER_BYTES;
      const out = alignedLike(scratch, block.byteOffset + at);
      const len = z.encodeAt(src + a, n, 4, out);
      if (at + len > block.byteLength) return undefined;
      view.setUint32(p, len, true);
      block.set(heap.subarray(out, out + len), at);
      nonZero += (len - 4 * Math.ceil(n / 32)) / 4;
      p = at + len;
    }
    return { bytes: block.subarray(start, p), block, nonZero };
  }

  /**
   * A new tensor of `shape` and `dtype` decoded from `container`. Its
   * structure is checked here (SourceHeaders.frames). `fingerprint` >= 0
   * (the container's, from when it was sealed) also checks every chunk's
   * CRC-32 just before the chunk is decoded (it is read once, from cache, for
   * both) and the stored CRCs against the fingerprint: the checks the
   * container reader makes on a container this codec wrote, for one the
   * engine has not checked yet. Throws CorruptDataError.
   */
  decode(
    container: Uint8Array,
    shape: readonly number[],
    dtype: tf.DataType,
    fingerprint = -1,
  ): tf.Tensor {
    const c = this.#headers.frames(container, shape);
    const scratch =
      this.codec === 'zvc' ? this.#ensureScratch(zvcMaxSize(c.header.chunkElements, 4) + 64) : 0;
    const info = this.#b.makeOutput([...shape], dtype);
    const out = this.#b.dataIdMap.get(info.dataId)!.memoryOffset!;
    const heap = this.#b.wasm.HEAPU8; // after both allocations
    const tensor = tf.engine().makeTensorFromTensorInfo(info);
    try {
      let stored = 0;
      for (let i = 0; i < c.header.chunkCount; i++) {
        const at = c.frameOffsets[i];
        const payload = container.subarray(at, at + c.payloadBytes[i]);
        if (fingerprint >= 0) stored = (stored ^ checkFrame(container, at, payload, i)) >>> 0;
        const [a, e] = chunkRawRange(c.header, i);
        if (this.codec === 'none') heap.set(payload, out + a);
        else {
          const inp = alignedLike(scratch, payload.byteOffset);
          heap.set(payload, inp);
          this.#zvc!.decodeAt(inp, payload.byteLength, (e - a) / 4, 4, out + a);
        }
      }
      if (fingerprint >= 0 && stored !== fingerprint >>> 0)
        throw new CorruptDataError(
          `host container holds another entry's data (its chunk CRC-32s differ from the ones sealed)`,
        );
    } catch (err) {
      tensor.dispose();
      throw err;
    }
    return tensor;
  }
}

/**
 * Checks chunk `i`'s frame (its length field and `payload`, which starts at
 * `at` in `container`) against the CRC-32 stored in it; returns that CRC.
 */
function checkFrame(container: Uint8Array, at: number, payload: Uint8Array, i: number): number {
  const frame = at - FRAME_HEADER_BYTES;
  const stored = new DataView(container.buffer, container.byteOffset + frame + 4, 4).getUint32(
    0,
    true,
  );
  const actual = crc32(payload, crc32(container.subarray(frame, frame + 4)));
  if (actual !== stored)
    throw new CorruptDataError(
      `host container failed its check (CRC-32): chunk ${i} checksum mismatch (stored ${hex32(stored)}, computed ${hex32(actual)})`,
    );
  return stored;
}
