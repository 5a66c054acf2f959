/**
 * The WebAssembly SIMD ZVC kernels (wasm/zvc.ts) behind a small class.
 *
 * The module imports its memory, so a ZvcWasm runs either in a memory of its
 * own (the default: inputs are copied in and results copied out) or in
 * another program's heap, e.g. tfjs-wasm's, where a tensor can be compressed
 * in place through the pointer methods (encodeAt, decodeAt, countNonZeroAt).
 * Memory grows only when a call needs more than it has; the hot loops never
 * allocate.
 */
import { CdmaError, CorruptDataError, InvalidArgumentError } from '../errors.js';
import type { ElementBytes } from './bytes.js';
import { wasmApi, type WasmMemory } from './wasm-api.js';
import { loadWasmModule, simdSupported } from './wasm-module.js';
import { zvcCorrupt } from './zvc-ts.js';

interface Kernels {
  tablesBytes(): number;
  initTables(tables: number): void;
  encode32(src: number, n: number, dst: number, tables: number): number;
  encode16(src: number, n: number, dst: number, tables: number): number;
  decode32(src: number, srcLen: number, n: number, dst: number, tables: number): number;
  decode16(src: number, srcLen: number, n: number, dst: number, tables: number): number;
  decodeBlocks32(
    src: number,
    srcLen: number,
    maxBlocks: number,
    dst: number,
    tables: number,
  ): number;
  decodeBlocks16(
    src: number,
    srcLen: number,
    maxBlocks: number,
    dst: number,
    tables: number,
  ): number;
  consumed(): number;
  countNonZero32(src: number, n: number): number;
  countNonZero16(src: number, n: number): number;
}

const PAGE = 65536;
/** Own-memory layout: shuffle tables at 0, scratch from here. */
const SCRATCH = 16384;
/**
 * Blocks per step of the byte-array API: the input is copied into the
 * kernel's memory and the output out of it one cache-sized step at a time
 * (256 KiB of float32), so the memory stays small and the copies hit cache.
 */
const STEP_BLOCKS = 2048;
/** Encoders write whole vectors; room after the largest output. */
const SLACK = 16;

export interface ZvcWasmOptions {
  /** Memory to run in (e.g. tfjs-wasm's heap); a fresh one when omitted. */
  readonly memory?: WasmMemory;
  /** Offset of TABLES_BYTES bytes the caller reserved in `memory` for the shuffle tables. */
  readonly tables?: number;
  /**
   * Which build of the kernels: 'zvc' (the default) or 'zvc-v1', the first
   * kernels, kept as the benchmark's reference contender (same bytes, slower).
   */
  readonly kernels?: 'zvc' | 'zvc-v1';
}

export class ZvcWasm {
  /** The memory the kernels read and write. */
  readonly memory: WasmMemory;
  /** Offset of the shuffle tables in `memory`. */
  readonly tables: number;
  /** First offset of own scratch space (own memory only). */
  readonly scratch: number;
  private readonly k: Kernels;

  private constructor(k: Kernels, memory: WasmMemory, tables: number, scratch: number) {
    this.k = k;
    this.memory = memory;
    this.tables = tables;
    this.scratch = scratch;
    k.initTables(tables);
  }

  /**
   * A kernel instance, or undefined where WebAssembly SIMD is unavailable or
   * build/wasm/zvc.wasm was not built. With `memory`, `tables` must point at
   * tablesBytes reserved bytes in it.
   */
  static create(options: ZvcWasmOptions = {}): ZvcWasm | undefined {
    if (wasmApi === undefined || !simdSupported()) return undefined;
    const mod = loadWasmModule(options.kernels ?? 'zvc');
    if (mod === undefined) return undefined;
    const own = options.memory === undefined;
    const memory = options.memory ?? new wasmApi.Memory({ initial: 1, maximum: 65536 });
    const instance = new wasmApi.Instance(mod, { env: { memory } });
    const k = instance.exports as unknown as Kernels;
    const tables = own ? 0 : options.tables;
    if (tables === undefined || !Number.isInteger(tables) || tables < 0)
      throw new InvalidArgumentError('a ZvcWasm in a foreign memory needs a `tables` offset');
    if (tables + k.tablesBytes() > memory.buffer.byteLength)
      throw new InvalidArgumentError(`the shuffle tables at ${tables} do not fit the memory`);
    return new ZvcWasm(k, memory, tables, own ? SCRATCH : 0);
  }

  /** Bytes the shuffle tables take (to reserve in a foreign memory). */
  get tablesBytes(): number {
    return this.k.tablesBytes();
  }

  /** Grows the memory so offsets below `bytes` are addressable (detaches old views when it grows). */
  ensureMemory(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    try {
      this.memory.grow(Math.ceil((bytes - have) / PAGE));
    } catch {
      throw new CdmaError(
        'WASM_MEMORY',
        `cannot grow WebAssembly memory to ${bytes} bytes; compress in smaller chunks`,
      );
    }
  }

  // ---- pointer API: data already in `memory` ----

  /**
   * Encodes n elements at `src` to `dst`; returns the encoded length. The
   * kernel may write anywhere in [dst, dst + zvcMaxSize(n, eb)).
   */
  encodeAt(src: number, n: number, eb: ElementBytes, dst: number): number {
    const len =
      eb === 4
        ? this.k.encode32(src, n, dst, this.tables)
        : this.k.encode16(src, n, dst, this.tables);
    return len >>> 0;
  }

  /** Decodes srcLen bytes at `src` into n elements at `dst`; CorruptDataError when malformed. */
  decodeAt(src: number, srcLen: number, n: number, eb: ElementBytes, dst: number): void {
    if (srcLen % eb !== 0)
      throw new CorruptDataError(`zvc payload of ${srcLen} bytes is not whole ${eb}-byte words`);
    const status =
      eb === 4
        ? this.k.decode32(src, srcLen, n, dst, this.tables)
        : this.k.decode16(src, srcLen, n, dst, this.tables);
    if (status !== 0) throw zvcCorrupt(status);
  }

  /** Non-zero elements among n at `src`. */
  countNonZeroAt(src: number, n: number, eb: ElementBytes): number {
    return (eb === 4 ? this.k.countNonZero32(src, n) : this.k.countNonZero16(src, n)) >>> 0;
  }

  // ---- byte-array API: copies through own scratch memory, step by step ----

  /** Scratch offsets of one step (input at `inAt`, output at `outAt`), growing memory to hold them. */
  private layout(eb: ElementBytes): { inAt: number; outAt: number } {
    if (this.scratch === 0)
      throw new InvalidArgumentError('the byte-array API needs a ZvcWasm with its own memory');
    const blockMax = 4 + 32 * eb;
    const inAt = this.scratch;
    const outAt = inAt + STEP_BLOCKS * blockMax + SLACK;
    this.ensureMemory(outAt + STEP_BLOCKS * blockMax + SLACK);
    return { inAt, outAt };
  }

  /**
   * Encodes `src` (whole elements) into `out` from offset 0 and returns the
   * written subarray. `out` needs the exact encoded size, not more.
   */
  encodeInto(src: Uint8Array, eb: ElementBytes, out: Uint8Array): Uint8Array {
    const { inAt, outAt } = this.layout(eb);
    const heap = new Uint8Array(this.memory.buffer);
    const step = STEP_BLOCKS * 32 * eb;
    let o = 0;
    for (let i = 0; i < src.length; i += step) {
      const part = src.subarray(i, i + step);
      heap.set(part, inAt);
      const len = this.encodeAt(inAt, part.length / eb, eb, outAt);
      if (o + len > out.length)
        throw new InvalidArgumentError(`output of ${out.length} bytes is too small for zvc`);
      out.set(heap.subarray(outAt, outAt + len), o);
      o += len;
    }
    return out.subarray(0, o);
  }

  /** Decodes `src` into exactly out.length bytes (whole elements); CorruptDataError when malformed. */
  decodeInto(src: Uint8Array, eb: ElementBytes, out: Uint8Array): void {
    if (src.length % eb !== 0)
      throw new CorruptDataError(
        `zvc payload of ${src.length} bytes is not whole ${eb}-byte words`,
      );
    const { inAt, outAt } = this.layout(eb);
    const heap = new Uint8Array(this.memory.buffer);
    const n = out.length / eb;
    const full = Math.floor(n / 32);
    const blockMax = 4 + 32 * eb;
    let s = 0;
    let b = 0;
    while (b < full) {
      const want = Math.min(STEP_BLOCKS, full - b);
      const win = Math.min(want * blockMax, src.length - s);
      heap.set(src.subarray(s, s + win), inAt);
      const got =
        eb === 4
          ? this.k.decodeBlocks32(inAt, win, want, outAt, this.tables)
          : this.k.decodeBlocks16(inAt, win, want, outAt, this.tables);
      // `win` holds `want` blocks of any content unless the input ran out.
      if (got !== want) throw zvcCorrupt(-1);
      out.set(heap.subarray(outAt, outAt + got * 32 * eb), b * 32 * eb);
      s += this.k.consumed() >>> 0;
      b += got;
    }
    const rest = n - full * 32;
    const left = src.length - s;
    if (left > (rest === 0 ? 0 : 4 + rest * eb)) throw zvcCorrupt(-3);
    if (rest === 0) return;
    heap.set(src.subarray(s), inAt);
    this.decodeAt(inAt, left, rest, eb, outAt);
    out.set(heap.subarray(outAt, outAt + rest * eb), full * 32 * eb);
  }

  /** Non-zero elements of `src` (whole elements), counted step by step in scratch memory. */
  countNonZero(src: Uint8Array, eb: ElementBytes): number {
    const { inAt } = this.layout(eb);
    const heap = new Uint8Array(this.memory.buffer);
    const step = STEP_BLOCKS * 32 * eb;
    let nz = 0;
    for (let i = 0; i < src.length; i += step) {
      const part = src.subarray(i, i + step);
      heap.set(part, inAt);
      nz += this.countNonZeroAt(inAt, part.length / eb, eb);
    }
    return nz;
  }
}
