/**
 * The high-water mark of tfjs-backend-wasm's heap, for measuring what the
 * device really needs beyond the tensors the executor counts: kernel
 * temporaries (XNNPACK's packed filters and indirection buffers, the
 * transposes and slices of cdma's composed kernels, the intermediate
 * tensors of a layer's tf.tidy) and fragmentation.
 *
 * The heap is emscripten's malloc over one WebAssembly.Memory; nothing
 * reports its peak, and allocations inside the wasm module (XNNPACK's) never
 * pass through JavaScript. So `arm` claims the free memory at the top of the
 * heap (a malloc of `reserve` bytes, larger than any hole below it, comes from
 * the top; it is freed at once) and fills it, up to the memory's end, with a
 * sentinel word that no kernel writes (a NaN whose bits are also no valid
 * heap address). `read` then finds the highest word that is no longer the
 * sentinel: everything above the arm point that anything wrote, whether it
 * is still allocated or not. If the memory grew past the armed end, the new
 * pages start as zeros and the highest non-zero word counts instead (the
 * result says so: arm with a larger reserve to be exact).
 *
 * Bytes of the allocations tfjs itself makes for tensors (through the
 * module's `_malloc`) are tracked by wrapping `_malloc` and `_free`, so a
 * measurement can tell tensors still alive from transient bytes.
 *
 * tfjs 4.22 internals: `backend.wasm` is the emscripten module with
 * `_malloc`, `_free` and `HEAPU8`; pinned by test/memory/heap-watermark.test.ts.
 */

/** Sentinel word: a float32 NaN with a payload, and above the heap's 4 GiB - 64 KiB maximum as an address. */
export const SENTINEL = 0xffc3a5e1;
/** Largest heap tfjs-backend-wasm 4.22's emscripten module can grow to (its getHeapMax()). */
export const WASM_HEAP_MAX_BYTES = 4294901760;

interface WasmModule {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
}

export interface HeapMark {
  /** First byte above every allocation alive when armed: the next allocation from the top starts here. */
  readonly base: number;
  /** The sentinel fills [from, end): from is just above the allocator's own words at base. */
  readonly from: number;
  readonly end: number;
  /** The memory's size when armed. */
  readonly size: number;
  /** Blocks that fill the holes below the mark while it is armed (see armHeapMark); releaseHeapMark frees them. */
  readonly plugs: readonly number[];
}

export interface HeapReading {
  /** One past the highest byte written since arming (base when nothing was). */
  readonly top: number;
  /** Whether the memory grew past the armed end (the reading is then approximate). */
  readonly grew: boolean;
}

/** Tracks tensor allocations made through the module's `_malloc` (tfjs's own), keyed by address. */
export class HeapTracker {
  readonly live = new Map<number, number>();
  readonly #module: WasmModule;
  readonly #malloc: (bytes: number) => number;
  readonly #free: (ptr: number) => void;

  constructor(backend: unknown) {
    const m = moduleOf(backend);
    // emscripten's glue rebinds `_malloc`/`_free` to the raw exports on first use: settle that first.
    m._free(m._malloc(16));
    this.#module = m;
    this.#malloc = m._malloc;
    this.#free = m._free;
    m._malloc = (bytes: number): number => {
      const p = this.#malloc.call(m, bytes);
      if (p !== 0) this.live.set(p, bytes);
      return p;
    };
    m._free = (ptr: number): void => {
      this.live.delete(ptr);
      this.#free.call(m, ptr);
    };
  }

  /** Bytes of tracked allocations alive at or above `from`. */
  aliveAbove(from: number): number {
    let sum = 0;
    for (const [p, bytes] of this.live) if (p >= from) sum += bytes;
    return sum;
  }

  /** Restores the module's own `_malloc` and `_free`. */
  dispose(): void {
    this.#module._malloc = this.#malloc;
    this.#module._free = this.#free;
  }
}

function moduleOf(backend: unknown): WasmModule {
  const m = (backend as { wasm?: Partial<WasmModule> }).wasm;
  if (
    !m ||
    !(m.HEAPU8 instanceof Uint8Array) ||
    typeof m._malloc !== 'function' ||
    typeof m._free !== 'function'
  ) {
    throw new Error('heap watermark: not a tfjs-backend-wasm backend');
  }
  return m as WasmModule;
}

/**
 * Claims and marks the free top of the heap, at least `reserve` bytes
 * (rounded up to 64 KiB); with `span`, only the first `span` bytes above the
 * mark are filled (a reading that reaches the span's end is then a lower
 * bound: arm again with a larger span). Returns undefined when the heap
 * cannot grow that far.
 */
export function armHeapMark(
  backend: unknown,
  reserve: number,
  span = Infinity,
): HeapMark | undefined {
  const m = moduleOf(backend);
  const want = Math.ceil(Math.max(reserve, 65536) / 65536) * 65536;
  const top = m._malloc(want);
  if (top === 0) return undefined;
  m._free(top);
  // Free chunks below the top would take allocations the mark cannot see:
  // fill every one of 64 KiB or more with a block of its own until released.
  const plugs: number[] = [];
  for (let size = 2 ** Math.floor(Math.log2(Math.max(65536, top))); size >= 65536;) {
    const p = m._malloc(size);
    if (p !== 0 && p < top) {
      plugs.push(p);
    } else {
      if (p !== 0) m._free(p);
      size /= 2;
    }
  }
  const base = m._malloc(want);
  if (base === 0) {
    for (const p of plugs) m._free(p);
    return undefined;
  }
  m._free(base);
  // The allocator's own words lie just below base (and at base while the chunk is free).
  const from = base + 64;
  const heap = m.HEAPU8;
  const size = heap.byteLength;
  const end = Math.min(size, from + Math.floor(span / 4) * 4);
  new Uint32Array(heap.buffer, from, (end - from) >>> 2).fill(SENTINEL);
  return { base, from, end, size, plugs };
}

/** Frees the blocks that filled the holes below the mark. */
export function releaseHeapMark(backend: unknown, mark: HeapMark): void {
  const m = moduleOf(backend);
  for (const p of mark.plugs) m._free(p);
}

/** The highest byte written above the mark since it was armed. */
export function readHeapMark(backend: unknown, mark: HeapMark): HeapReading {
  const heap = moduleOf(backend).HEAPU8;
  const size = heap.byteLength;
  const grew = size > mark.size;
  if (grew) {
    const grown = new Uint32Array(heap.buffer, mark.size, (size - mark.size) >>> 2);
    for (let i = grown.length - 1; i >= 0; i--) {
      if (grown[i] !== 0) return { top: mark.size + 4 * (i + 1), grew };
    }
  }
  const words = new Uint32Array(heap.buffer, mark.from, (mark.end - mark.from) >>> 2);
  let i = words.length - 1;
  while (i >= 0 && words[i] === SENTINEL) i--;
  return { top: i < 0 ? mark.base : mark.from + 4 * (i + 1), grew };
}

/**
 * The heap's break: the word in the module's static data that holds
 * emscripten's sbrk pointer, the end of the part of the heap the allocator
 * has ever claimed. The allocator of tfjs-backend-wasm 4.22 (emmalloc) takes
 * a block from its free regions when one is large enough and moves the break
 * only when none is; it never moves it back. So the break's rise over a run
 * is the heap that run really needed: tensors, kernel temporaries inside the
 * module (XNNPACK's) and every hole fragmentation left, whatever the
 * allocator wrote into its own headers. Unlike the sentinel mark it needs no
 * armed region and reads one word.
 */
export interface HeapBreak {
  /** Byte address of the sbrk pointer in the module's memory. */
  readonly address: number;
  /** The break before locateHeapBreak allocated anything. */
  readonly before: number;
}

/**
 * Finds the sbrk pointer: among the words below 1 MiB that could be the
 * break, the one that rises exactly with two allocations that must come from
 * the top (the first size for which the break moves, then a larger one).
 * The probe blocks are freed again; the heap keeps them as one free region
 * of a few MiB, which `before` counts as part of any later rise.
 * Returns undefined if no single word tracks the break.
 */
export function locateHeapBreak(backend: unknown): HeapBreak | undefined {
  const m = moduleOf(backend);
  const scan = () =>
    new Uint32Array(m.HEAPU8.buffer, 0, Math.min(m.HEAPU8.byteLength, 1 << 20) >>> 2).slice();
  const w0 = scan();
  const size0 = m.HEAPU8.byteLength;
  let cands: number[] = [];
  for (let a = 16; a < w0.length; a++)
    if (w0[a] >= 65536 && w0[a] <= size0 && (w0[a] & 3) === 0) cands.push(a);
  const blocks: number[] = [];
  try {
    let prev = w0;
    let moves = 0;
    for (let size = 1 << 20; moves < 2 && size <= 1 << 28; size *= 2) {
      const p = m._malloc(size);
      if (p === 0) return undefined;
      blocks.push(p);
      const w = scan();
      // The break, if it moved, now lies just past this block.
      const moved = cands.filter(
        (a) => w[a] >= p + size && w[a] <= p + size + 4096 && w[a] > prev[a],
      );
      if (moved.length === 0) continue; // taken from a free region: try larger
      cands = moved;
      prev = w;
      moves++;
    }
    if (moves < 2 || cands.length === 0) return undefined;
    // emscripten's sbrk_val and emmalloc's own record of the heap's end both
    // track it; the static one (lowest address) is sbrk's.
    const address = cands[0] * 4;
    return { address, before: w0[cands[0]] };
  } finally {
    for (const p of blocks) m._free(p);
  }
}

/** The break now (it never falls). */
export function readHeapBreak(backend: unknown, hb: HeapBreak): number {
  return new Uint32Array(moduleOf(backend).HEAPU8.buffer)[hb.address >>> 2];
}
