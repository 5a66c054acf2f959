/// <reference types="@webgpu/types" />
/**
 * ZVC on the GPU: WGSL kernels (./zvc-wgsl.ts) compress a tensor held in a
 * GPU buffer into exactly the bytes of the CPU ZVC codec (docs/CODECS.md),
 * and decompress such bytes back into a GPU buffer. So only compressed bytes
 * need cross the link, as in the cDMA paper.
 *
 * Encode: (1) per 32-element block its mask and encoded size, (2) block
 * offsets by an exclusive prefix sum of the sizes on the GPU (256 values per
 * workgroup, level by level), (3) every element scattered to its place. The
 * payload's length is the scan's total.
 * Decode: the host checks the payload as the CPU decoder does (truncation,
 * mask bits past the end, trailing bytes) while it records the byte offset
 * of every 32nd block (one u32 per 1024 elements); then (1) one thread per
 * such superblock walks its 32 masks to each block's offset, (2) every
 * output word is gathered from its mask and offset.
 */
import { CorruptDataError, InvalidArgumentError } from '../errors.js';
import { submitCopy } from './link.js';
import {
  ADD_SUMS_SHADER,
  expandShader,
  maskShader,
  scatterShader,
  SCAN_SHADER,
  walkShader,
  WG,
  type ElementBytes,
} from './zvc-wgsl.js';

const S = () => GPUBufferUsage.STORAGE;
const BLOCK = 32;

/** A compressed tensor on the GPU: `buffer` holds `byteLength` payload bytes (then padding). */
export interface GpuZvcPayload {
  readonly buffer: GPUBuffer;
  readonly byteLength: number;
  /** The payload offset of each block index encode() was asked for. */
  readonly marks: readonly number[];
}

function ceilDiv(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}

function pad4(n: number): number {
  return Math.max(4, ceilDiv(n, 4) * 4);
}

function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/**
 * Checks a ZVC payload of n elements as the CPU decoder does and returns
 * the byte offset of every 32nd block. Throws CorruptDataError.
 */
export function zvcSuperblockIndex(bytes: Uint8Array, n: number, eb: ElementBytes): Uint32Array {
  const nblocks = ceilDiv(n, BLOCK);
  const index = new Uint32Array(Math.max(1, ceilDiv(nblocks, BLOCK)));
  if (bytes.length % eb !== 0)
    throw new CorruptDataError(
      `zvc payload of ${bytes.length} bytes is not whole ${eb}-byte words`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.length;
  let o = 0;
  for (let b = 0; b < nblocks; b++) {
    if ((b & 31) === 0) index[b >>> 5] = o;
    if (o + 4 > len) throw new CorruptDataError('zvc payload is truncated: it ends inside a block');
    const m = view.getUint32(o, true);
    const count = Math.min(BLOCK, n - b * BLOCK);
    if (count < BLOCK && m >>> count !== 0)
      throw new CorruptDataError('zvc payload is corrupt: a mask marks elements past the end');
    o += 4 + eb * popcount(m);
    if (o > len) throw new CorruptDataError('zvc payload is truncated: it ends inside a block');
  }
  if (o !== len) throw new CorruptDataError('zvc payload is corrupt: bytes follow the last block');
  return index;
}

/**
 * The GPU ZVC codec on one device; its pipelines are compiled once, and its
 * scratch buffers (masks, offsets, scan sums, parameters, the size readback)
 * are kept by size and usage for the next call instead of being created and
 * destroyed each time. Reuse is safe because everything goes through the
 * one queue, in order: a buffer's next use (a writeBuffer, a dispatch) runs
 * after the work that last used it. The payload and output buffers a call
 * returns are the caller's.
 */
export class GpuZvc {
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly maxX: number;
  private readonly free = new Map<string, GPUBuffer[]>();
  private pooled = 0;

  constructor(readonly device: GPUDevice) {
    this.maxX = device.limits.maxComputeWorkgroupsPerDimension;
  }

  private pipeline(key: string, code: () => string): GPUComputePipeline {
    let p = this.pipelines.get(key);
    if (!p) {
      const module = this.device.createShaderModule({ code: code(), label: `cdma zvc ${key}` });
      p = this.device.createComputePipeline({
        layout: 'auto',
        compute: { module, entryPoint: 'main' },
      });
      this.pipelines.set(key, p);
    }
    return p;
  }

  /** Device bytes the scratch buffers kept for reuse hold. */
  get pooledBytes(): number {
    return this.pooled;
  }

  /** A scratch buffer of `size` bytes and `usage`, kept or new; it goes into `temps`. */
  private take(size: number, usage: number, temps: GPUBuffer[]): GPUBuffer {
    let b = this.free.get(`${usage}:${size}`)?.pop();
    if (b) this.pooled -= size;
    else b = this.device.createBuffer({ size, usage });
    temps.push(b);
    return b;
  }

  /** Keeps a call's scratch buffers for the next (after its work is queued, or done for a mapped one). */
  private keep(temps: GPUBuffer[]): void {
    for (const b of temps) {
      const key = `${b.usage}:${b.size}`;
      const list = this.free.get(key);
      if (list) list.push(b);
      else this.free.set(key, [b]);
      this.pooled += b.size;
    }
    temps.length = 0;
  }

  /** Destroys the kept scratch buffers. */
  dispose(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.pooled = 0;
  }

  private params(n: number, nblocks: number, count: number, temps: GPUBuffer[]): GPUBuffer {
    const b = this.take(16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, temps);
    this.device.queue.writeBuffer(b, 0, new Uint32Array([n, nblocks, count, 0]));
    return b;
  }

  /** A scratch STORAGE buffer (into `temps`), or with `temps` null a new one for the caller. */
  private storage(size: number, temps: GPUBuffer[] | null, extra = 0): GPUBuffer {
    if (temps === null) return this.device.createBuffer({ size: pad4(size), usage: S() | extra });
    return this.take(pad4(size), S() | extra, temps);
  }

  /** Records one dispatch of `threads` threads (WG per workgroup, 2-D grid). */
  private dispatch(
    enc: GPUCommandEncoder,
    pipeline: GPUComputePipeline,
    buffers: GPUBuffer[],
    threads: number,
  ): void {
    const groups = ceilDiv(threads, WG);
    if (groups === 0) return;
    const x = Math.min(groups, this.maxX);
    const y = ceilDiv(groups, x);
    if (y > this.maxX)
      throw new InvalidArgumentError(`tensor too large for one dispatch (${threads} threads)`);
    const bind = this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(x, y);
    pass.end();
  }

  /**
   * Records the exclusive scan of `data` (count values) in place; the total
   * lands in the returned buffer's first word.
   */
  private scan(
    enc: GPUCommandEncoder,
    data: GPUBuffer,
    count: number,
    temps: GPUBuffer[],
  ): GPUBuffer {
    const scan = this.pipeline('scan', () => SCAN_SHADER);
    const add = this.pipeline('add', () => ADD_SUMS_SHADER);
    const levels: { buf: GPUBuffer; count: number }[] = [{ buf: data, count }];
    for (;;) {
      const cur = levels[levels.length - 1];
      const groups = ceilDiv(cur.count, WG);
      const sums = this.storage(4 * groups, temps, GPUBufferUsage.COPY_SRC);
      this.dispatch(enc, scan, [cur.buf, sums, this.params(0, 0, cur.count, temps)], cur.count);
      levels.push({ buf: sums, count: groups });
      if (groups <= 1) break;
    }
    for (let k = levels.length - 3; k >= 0; k--) {
      const { buf, count: c } = levels[k];
      this.dispatch(enc, add, [buf, levels[k + 1].buf, this.params(0, 0, c, temps)], c);
    }
    return levels[levels.length - 1].buf;
  }

  /**
   * Compresses n elements of eb bytes held in `src` (a STORAGE buffer, the
   * elements packed from byte 0) into a new buffer of the worst-case size;
   * the payload's length comes back from the GPU (4 bytes read), and with
   * it the payload offset of each block index in `marks` (ZVC blocks are
   * independent, so the payload of blocks [a, b) is bytes
   * [offset(a), offset(b)): a container's chunks are cut there).
   */
  async encode(
    src: GPUBuffer,
    n: number,
    eb: ElementBytes,
    marks: readonly number[] = [],
  ): Promise<GpuZvcPayload> {
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(`element count ${n} is not a count`);
    if (src.size < n * eb)
      throw new InvalidArgumentError(`buffer of ${src.size} bytes holds fewer than ${n} elements`);
    const nblocks = ceilDiv(n, BLOCK);
    const maxSize = 4 * nblocks + eb * n;
    const out = this.storage(maxSize, null, GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
    for (const m of marks)
      if (!Number.isInteger(m) || m < 0 || m >= Math.max(1, nblocks))
        throw new InvalidArgumentError(`block mark ${m} is outside the ${nblocks} blocks`);
    if (n === 0) return { buffer: out, byteLength: 0, marks: marks.map(() => 0) };
    const temps: GPUBuffer[] = [];
    try {
      const masks = this.storage(4 * nblocks, temps);
      const offs = this.storage(4 * nblocks, temps, GPUBufferUsage.COPY_SRC);
      const enc = this.device.createCommandEncoder();
      const params = this.params(n, nblocks, nblocks, temps);
      this.dispatch(
        enc,
        this.pipeline(`mask${eb}`, () => maskShader(eb)),
        [src, masks, offs, params],
        n,
      );
      const total = this.scan(enc, offs, nblocks, temps);
      if (eb === 2) enc.clearBuffer(out);
      this.dispatch(
        enc,
        this.pipeline(`scatter${eb}`, () => scatterShader(eb)),
        [src, masks, offs, out, params],
        n,
      );
      const read = this.take(
        4 * (1 + marks.length),
        GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        temps,
      );
      enc.copyBufferToBuffer(total, 0, read, 0, 4);
      marks.forEach((m, i) => enc.copyBufferToBuffer(offs, 4 * m, read, 4 * (i + 1), 4));
      this.device.queue.submit([enc.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const words = new Uint32Array(read.getMappedRange());
      const byteLength = words[0];
      const at = Array.from(words.subarray(1));
      read.unmap();
      this.keep(temps);
      return { buffer: out, byteLength, marks: at };
    } catch (e) {
      out.destroy();
      throw e;
    } finally {
      for (const t of temps) t.destroy(); // only after a failure: kept otherwise
    }
  }

  /** encode(), then the payload's bytes copied to the host (a MAP_READ buffer). */
  async encodeToHost(src: GPUBuffer, n: number, eb: ElementBytes): Promise<Uint8Array> {
    const p = await this.encode(src, n, eb);
    try {
      return await readBuffer(this.device, p.buffer, p.byteLength);
    } finally {
      p.buffer.destroy();
    }
  }

  /**
   * Decompresses a payload already on the GPU (`comp`, byteLength bytes) of
   * n elements into `into` (a STORAGE buffer) or a new STORAGE | COPY_SRC
   * buffer; `index` is zvcSuperblockIndex() of the same bytes.
   */
  decode(
    comp: GPUBuffer,
    n: number,
    eb: ElementBytes,
    index: Uint32Array,
    into?: GPUBuffer,
  ): GPUBuffer {
    if (into !== undefined && into.size < n * eb)
      throw new InvalidArgumentError(`buffer of ${into.size} bytes cannot hold ${n} elements`);
    const out =
      into ?? this.storage(n * eb, null, GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
    if (n === 0) return out;
    const nblocks = ceilDiv(n, BLOCK);
    const nsuper = ceilDiv(nblocks, BLOCK);
    if (index.length < nsuper)
      throw new InvalidArgumentError(`superblock index of ${index.length} entries, need ${nsuper}`);
    const temps: GPUBuffer[] = [];
    try {
      const idx = this.storage(4 * nsuper, temps, GPUBufferUsage.COPY_DST);
      this.device.queue.writeBuffer(idx, 0, index, 0, nsuper);
      const masks = this.storage(4 * nblocks, temps);
      const offs = this.storage(4 * nblocks, temps);
      const enc = this.device.createCommandEncoder();
      this.dispatch(
        enc,
        this.pipeline(`walk${eb}`, () => walkShader(eb)),
        [comp, idx, masks, offs, this.params(n, nblocks, nsuper, temps)],
        nsuper,
      );
      const words = eb === 4 ? n : ceilDiv(n, 2);
      this.dispatch(
        enc,
        this.pipeline(`expand${eb}`, () => expandShader(eb)),
        [comp, masks, offs, out, this.params(n, nblocks, 0, temps)],
        words,
      );
      this.device.queue.submit([enc.finish()]);
      this.keep(temps);
      return out;
    } catch (e) {
      if (out !== into) out.destroy();
      throw e;
    } finally {
      // Only after a failure (kept otherwise); destroying after a submit is allowed too.
      for (const t of temps) t.destroy();
    }
  }

  /** Checks `bytes`, uploads them and decompresses on the GPU (see decode()). */
  decodeFromHost(bytes: Uint8Array, n: number, eb: ElementBytes): GPUBuffer {
    const index = zvcSuperblockIndex(bytes, n, eb);
    const comp = uploadBuffer(this.device, bytes, GPUBufferUsage.STORAGE);
    try {
      return this.decode(comp, n, eb, index);
    } finally {
      comp.destroy();
    }
  }
}

/** A new buffer holding `bytes` (padded to 4 bytes), with COPY_DST and `usage`. */
export function uploadBuffer(device: GPUDevice, bytes: Uint8Array, usage: number): GPUBuffer {
  const b = device.createBuffer({
    size: pad4(bytes.length),
    usage: usage | GPUBufferUsage.COPY_DST,
  });
  const whole = bytes.length - (bytes.length % 4);
  if (whole > 0) device.queue.writeBuffer(b, 0, bytes, 0, whole);
  if (whole < bytes.length) {
    const tail = new Uint8Array(4);
    tail.set(bytes.subarray(whole));
    device.queue.writeBuffer(b, whole, tail);
  }
  return b;
}

/** The first `length` bytes of a COPY_SRC buffer, through a MAP_READ staging buffer. */
export async function readBuffer(
  device: GPUDevice,
  src: GPUBuffer,
  length: number,
): Promise<Uint8Array> {
  if (length === 0) return new Uint8Array(0);
  const size = pad4(length);
  const staging = device.createBuffer({
    size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  try {
    submitCopy(device, src, staging, size);
    await staging.mapAsync(GPUMapMode.READ, 0, size);
    const out = new Uint8Array(length);
    out.set(new Uint8Array(staging.getMappedRange(0, size), 0, length));
    staging.unmap();
    return out;
  } finally {
    staging.destroy();
  }
}
