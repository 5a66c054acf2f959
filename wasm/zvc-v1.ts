// asc-flags: --importMemory
//
// The first ZVC kernels, kept unchanged (same ZVC format, docs/CODECS.md) as the
// reference contender `bench:codecs` runs beside wasm/zvc.ts: the benchmark
// shows the old and the new kernels paired in one run. Nothing else loads it.
//
// Zero-value compression (ZVC) kernels in WebAssembly SIMD (AssemblyScript).
// Format (docs/CODECS.md): blocks of 32 elements, each a 32-bit little-endian
// mask (bit i set when element i is non-zero) followed by its non-zero
// elements in order; a last partial block has zero bits for missing elements.
//
// The module imports its memory (env.memory) and keeps no static data (one
// instance global records the bytes a block decode consumed), so the same module can run in its own memory or in another
// program's heap (tfjs-wasm): every function takes byte offsets. The shuffle
// tables live at a caller-chosen offset `tables` (TABLES_BYTES bytes, filled
// once by initTables).
//
// Encoders write whole 16-byte vectors, so they may clobber up to the
// maximum encoded size (4*ceil(n/32) + eb*n bytes) of the destination, never
// beyond it. Decoders never read outside [src, src+srcLen) and never write
// outside [dst, dst+n*eb).

// Table layout (bytes from `tables`):
//   C4  0     16 x 16  compaction of 4 x 32-bit lanes by a 4-bit non-zero mask
//   E4  256   16 x 16  expansion of 4 x 32-bit lanes
//   C8  512  256 x 16  compaction of 8 x 16-bit lanes by an 8-bit mask
//   E8  4608 256 x 16  expansion of 8 x 16-bit lanes
const C4: usize = 0;
const E4: usize = 256;
const C8: usize = 512;
const E8: usize = 4608;
const TABLES: usize = 8704;

/** Bytes the shuffle tables need at `tables`. */
export function tablesBytes(): usize {
  return TABLES;
}

/** Fills the shuffle tables at `tables`. Call once per memory. */
export function initTables(tables: usize): void {
  fillTables(tables + C4, tables + E4, 4, 4);
  fillTables(tables + C8, tables + E8, 8, 2);
}

function fillTables(c: usize, e: usize, lanes: u32, width: u32): void {
  const entries: u32 = 1 << lanes;
  for (let m: u32 = 0; m < entries; m++) {
    const cRow = c + (m << 4);
    const eRow = e + (m << 4);
    // Default: out-of-range index, which swizzle turns into a zero byte.
    for (let b: u32 = 0; b < 16; b++) {
      store<u8>(cRow + b, 0x80);
      store<u8>(eRow + b, 0x80);
    }
    let k: u32 = 0; // position among the kept lanes
    for (let lane: u32 = 0; lane < lanes; lane++) {
      if ((m >> lane) & 1) {
        for (let b: u32 = 0; b < width; b++) {
          store<u8>(cRow + k * width + b, <u8>(lane * width + b));
          store<u8>(eRow + lane * width + b, <u8>(k * width + b));
        }
        k++;
      }
    }
  }
}

// ---------------------------------------------------------------- 32-bit ---

/** Encodes n 32-bit elements at src into dst; returns the bytes written. */
export function encode32(src: usize, n: u32, dst: usize, tables: usize): u32 {
  const zero = i32x4.splat(0);
  const ct = tables + C4;
  const full = n >> 5;
  let s = src;
  let d = dst;
  for (let b: u32 = 0; b < full; b++) {
    const maskAt = d;
    let o = d + 4;
    let mask: u32 = 0;
    // Two halves of 16 elements keep few vectors live (V8 has 16 registers).
    for (let h: u32 = 0; h < 2; h++) {
      const v0 = v128.load(s, 0);
      const v1 = v128.load(s, 16);
      const v2 = v128.load(s, 32);
      const v3 = v128.load(s, 48);
      // 4-bit non-zero masks, one per vector of 4 elements.
      const m0 = (<u32>i32x4.bitmask(i32x4.eq(v0, zero))) ^ 15;
      const m1 = (<u32>i32x4.bitmask(i32x4.eq(v1, zero))) ^ 15;
      const m2 = (<u32>i32x4.bitmask(i32x4.eq(v2, zero))) ^ 15;
      const m3 = (<u32>i32x4.bitmask(i32x4.eq(v3, zero))) ^ 15;
      const hm = m0 | (m1 << 4) | (m2 << 8) | (m3 << 12);
      // Compact each vector's non-zeros to its front with the shuffle of its
      // mask, store all 16 bytes, advance by the non-zeros only. Offsets are
      // popcounts of the mask's lower bits, so the stores are independent.
      v128.store(o, i8x16.swizzle(v0, v128.load(ct + (m0 << 4))));
      v128.store(o + ((<usize>popcnt(m0)) << 2), i8x16.swizzle(v1, v128.load(ct + (m1 << 4))));
      v128.store(
        o + ((<usize>popcnt(hm & 0xff)) << 2),
        i8x16.swizzle(v2, v128.load(ct + (m2 << 4))),
      );
      v128.store(
        o + ((<usize>popcnt(hm & 0xfff)) << 2),
        i8x16.swizzle(v3, v128.load(ct + (m3 << 4))),
      );
      o += (<usize>popcnt(hm)) << 2;
      mask |= hm << (h << 4);
      s += 64;
    }
    store<u32>(maskAt, mask);
    d = o;
  }
  const rest = n & 31;
  if (rest != 0) {
    const maskAt = d;
    d += 4;
    let mask: u32 = 0;
    for (let i: u32 = 0; i < rest; i++) {
      const v = load<u32>(s);
      if (v != 0) {
        store<u32>(d, v);
        d += 4;
        mask |= (<u32>1) << i;
      }
      s += 4;
    }
    store<u32>(maskAt, mask);
  }
  return <u32>(d - dst);
}

// Bytes read by the last decodeBlocks32/16 call (an instance global, not memory).
let consumedBytes: u32 = 0;

/** Bytes of input the last decodeBlocks32/decodeBlocks16 call consumed. */
export function consumed(): u32 {
  return consumedBytes;
}

/**
 * Decodes up to maxBlocks whole 32-element blocks of 32-bit elements from
 * [src, src+srcLen) into dst. Stops early, without error, at the first block
 * that does not lie wholly inside the input. Returns the blocks decoded;
 * consumed() gives the bytes read.
 */
export function decodeBlocks32(
  src: usize,
  srcLen: u32,
  maxBlocks: u32,
  dst: usize,
  tables: usize,
): u32 {
  const et = tables + E4;
  const end = src + srcLen;
  let s = src;
  let d = dst;
  let b: u32 = 0;
  // Fast path: a whole block (at most 132 bytes) lies inside the input, so
  // the 16-byte loads cannot leave it. Each group's input offset is a
  // popcount of the mask's lower bits, so the eight loads are independent.
  while (b < maxBlocks && s + 132 <= end) {
    const mask = load<u32>(s);
    const base = s + 4;
    v128.store(d, i8x16.swizzle(v128.load(base), v128.load(et + ((mask & 0xf) << 4))), 0);
    v128.store(
      d,
      i8x16.swizzle(
        v128.load(base + ((<usize>popcnt(mask & 0xf)) << 2)),
        v128.load(et + (((mask >> 4) & 0xf) << 4)),
      ),
      16,
    );
    v128.store(
      d,
      i8x16.swizzle(
        v128.load(base + ((<usize>popcnt(mask & 0xff)) << 2)),
        v128.load(et + (((mask >> 8) & 0xf) << 4)),
      ),
      32,
    );
    v128.store(
      d,
      i8x16.swizzle(
        v128.load(base + ((<usize>popcnt(mask & 0xfff)) << 2)),
        v128.load(et + (((mask >> 12) & 0xf) << 4)),
      ),
      48,
    );
    v128.store(
      d,
      i8x16.swizzle(
        v128.load(base + ((<usize>popcnt(mask & 0xffff)) << 2)),
        v128.load(et + (((mask >> 16) & 0xf) << 4)),
      ),
      64,
    );
    v128.store(
      d,
      i8x16.swizzle(
        v128.load(base + ((<usize>popcnt(mask & 0xfffff)) << 2)),
        v128.load(et + (((mask >> 20) & 0xf) << 4)),
      ),
      80,
    );
    v128.store(
      d,
      i8x16.swizzle(
        v128.load(base + ((<usize>popcnt(mask & 0xffffff)) << 2)),
        v128.load(et + (((mask >> 24) & 0xf) << 4)),
      ),
      96,
    );
    v128.store(
      d,
      i8x16.swizzle(
        v128.load(base + ((<usize>popcnt(mask & 0xfffffff)) << 2)),
        v128.load(et + ((mask >> 28) << 4)),
      ),
      112,
    );
    s = base + ((<usize>popcnt(mask)) << 2);
    d += 128;
    b++;
  }
  // Checked path for the blocks near the end of the input.
  while (b < maxBlocks) {
    if (s + 4 > end) break;
    const mask = load<u32>(s);
    if (s + 4 + ((<usize>popcnt(mask)) << 2) > end) break;
    s = expand32(s + 4, mask, 32, d);
    d += 128;
    b++;
  }
  consumedBytes = <u32>(s - src);
  return b;
}

/** Scalar expansion of `count` elements by `mask`; returns the input position after them. */
function expand32(s: usize, mask: u32, count: u32, d: usize): usize {
  for (let i: u32 = 0; i < count; i++) {
    if ((mask >> i) & 1) {
      store<u32>(d, load<u32>(s));
      s += 4;
    } else {
      store<u32>(d, 0);
    }
    d += 4;
  }
  return s;
}

/**
 * Decodes srcLen bytes at src into n 32-bit elements at dst. Returns 0, or a
 * negative error: -1 input ends inside a block, -2 a mask marks elements past
 * the end, -3 bytes left over after the last block.
 */
export function decode32(src: usize, srcLen: u32, n: u32, dst: usize, tables: usize): i32 {
  const full = n >> 5;
  if (decodeBlocks32(src, srcLen, full, dst, tables) < full) return -1;
  const end = src + srcLen;
  let s = src + consumedBytes;
  const rest = n & 31;
  if (rest != 0) {
    if (s + 4 > end) return -1;
    const mask = load<u32>(s);
    if (mask >> rest != 0) return -2;
    if (s + 4 + ((<usize>popcnt(mask)) << 2) > end) return -1;
    s = expand32(s + 4, mask, rest, dst + ((<usize>full) << 7));
  }
  return s == end ? 0 : -3;
}

// ---------------------------------------------------------------- 16-bit ---

/** Encodes n 16-bit elements at src into dst; returns the bytes written. */
export function encode16(src: usize, n: u32, dst: usize, tables: usize): u32 {
  const zero = i16x8.splat(0);
  const ct = tables + C8;
  const full = n >> 5;
  let s = src;
  let d = dst;
  for (let b: u32 = 0; b < full; b++) {
    const v0 = v128.load(s, 0);
    const v1 = v128.load(s, 16);
    const v2 = v128.load(s, 32);
    const v3 = v128.load(s, 48);
    const z: u32 =
      (<u32>i16x8.bitmask(i16x8.eq(v0, zero))) |
      ((<u32>i16x8.bitmask(i16x8.eq(v1, zero))) << 8) |
      ((<u32>i16x8.bitmask(i16x8.eq(v2, zero))) << 16) |
      ((<u32>i16x8.bitmask(i16x8.eq(v3, zero))) << 24);
    const mask = ~z;
    store<u32>(d, mask);
    const base = d + 4;
    v128.store(base, i8x16.swizzle(v0, v128.load(ct + ((mask & 0xff) << 4))));
    v128.store(
      base + ((<usize>popcnt(mask & 0xff)) << 1),
      i8x16.swizzle(v1, v128.load(ct + (((mask >> 8) & 0xff) << 4))),
    );
    v128.store(
      base + ((<usize>popcnt(mask & 0xffff)) << 1),
      i8x16.swizzle(v2, v128.load(ct + (((mask >> 16) & 0xff) << 4))),
    );
    v128.store(
      base + ((<usize>popcnt(mask & 0xffffff)) << 1),
      i8x16.swizzle(v3, v128.load(ct + ((mask >> 24) << 4))),
    );
    d = base + ((<usize>popcnt(mask)) << 1);
    s += 64;
  }
  const rest = n & 31;
  if (rest != 0) {
    const maskAt = d;
    d += 4;
    let mask: u32 = 0;
    for (let i: u32 = 0; i < rest; i++) {
      const v = load<u16>(s);
      if (v != 0) {
        store<u16>(d, v);
        d += 2;
        mask |= (<u32>1) << i;
      }
      s += 2;
    }
    store<u32>(maskAt, mask);
  }
  return <u32>(d - dst);
}

/** As decodeBlocks32, for 16-bit elements (blocks of at most 68 bytes). */
export function decodeBlocks16(
  src: usize,
  srcLen: u32,
  maxBlocks: u32,
  dst: usize,
  tables: usize,
): u32 {
  const et = tables + E8;
  const end = src + srcLen;
  let s = src;
  let d = dst;
  let b: u32 = 0;
  while (b < maxBlocks && s + 68 <= end) {
    const mask = load<u32>(s);
    const base = s + 4;
    v128.store(d, i8x16.swizzle(v128.load(base), v128.load(et + ((mask & 0xff) << 4))), 0);
    v128.store(
      d,
      i8x16.swizzle(
        v128.load(base + ((<usize>popcnt(mask & 0xff)) << 1)),
        v128.load(et + (((mask >> 8) & 0xff) << 4)),
      ),
      16,
    );
    v128.store(
      d,
      i8x16.swizzle(
        v128.load(base + ((<usize>popcnt(mask & 0xffff)) << 1)),
        v128.load(et + (((mask >> 16) & 0xff) << 4)),
      ),
      32,
    );
    v128.store(
      d,
      i8x16.swizzle(
        v128.load(base + ((<usize>popcnt(mask & 0xffffff)) << 1)),
        v128.load(et + ((mask >> 24) << 4)),
      ),
      48,
    );
    s = base + ((<usize>popcnt(mask)) << 1);
    d += 64;
    b++;
  }
  while (b < maxBlocks) {
    if (s + 4 > end) break;
    const mask = load<u32>(s);
    if (s + 4 + ((<usize>popcnt(mask)) << 1) > end) break;
    s = expand16(s + 4, mask, 32, d);
    d += 64;
    b++;
  }
  consumedBytes = <u32>(s - src);
  return b;
}

function expand16(s: usize, mask: u32, count: u32, d: usize): usize {
  for (let i: u32 = 0; i < count; i++) {
    if ((mask >> i) & 1) {
      store<u16>(d, load<u16>(s));
      s += 2;
    } else {
      store<u16>(d, 0);
    }
    d += 2;
  }
  return s;
}

/** Decodes srcLen bytes at src into n 16-bit elements at dst (errors as decode32). */
export function decode16(src: usize, srcLen: u32, n: u32, dst: usize, tables: usize): i32 {
  const full = n >> 5;
  if (decodeBlocks16(src, srcLen, full, dst, tables) < full) return -1;
  const end = src + srcLen;
  let s = src + consumedBytes;
  const rest = n & 31;
  if (rest != 0) {
    if (s + 4 > end) return -1;
    const mask = load<u32>(s);
    if (mask >> rest != 0) return -2;
    if (s + 4 + ((<usize>popcnt(mask)) << 1) > end) return -1;
    s = expand16(s + 4, mask, rest, dst + ((<usize>full) << 6));
  }
  return s == end ? 0 : -3;
}

// ------------------------------------------------------------ densities ---

/** Counts the non-zero (any bit set) 32-bit elements among n at src. */
export function countNonZero32(src: usize, n: u32): u32 {
  const zero = i32x4.splat(0);
  let a0 = zero;
  let a1 = zero;
  let a2 = zero;
  let a3 = zero;
  let s = src;
  const groups = n >> 4;
  // eq gives -1 per zero lane; the zero count is subtracted from n at the end.
  for (let g: u32 = 0; g < groups; g++) {
    a0 = i32x4.add(a0, i32x4.eq(v128.load(s, 0), zero));
    a1 = i32x4.add(a1, i32x4.eq(v128.load(s, 16), zero));
    a2 = i32x4.add(a2, i32x4.eq(v128.load(s, 32), zero));
    a3 = i32x4.add(a3, i32x4.eq(v128.load(s, 48), zero));
    s += 64;
  }
  const acc = i32x4.add(i32x4.add(a0, a1), i32x4.add(a2, a3));
  const zeros: u32 = <u32>(
    -(
      i32x4.extract_lane(acc, 0) +
      i32x4.extract_lane(acc, 1) +
      i32x4.extract_lane(acc, 2) +
      i32x4.extract_lane(acc, 3)
    )
  );
  let nnz: u32 = (groups << 4) - zeros;
  for (let i: u32 = groups << 4; i < n; i++) {
    if (load<u32>(s) != 0) nnz++;
    s += 4;
  }
  return nnz;
}

/** Counts the non-zero 16-bit elements among n at src. */
export function countNonZero16(src: usize, n: u32): u32 {
  const zero = i16x8.splat(0);
  let total = i32x4.splat(0);
  let s = src;
  let groups = n >> 5;
  while (groups > 0) {
    // 16-bit lane counters: at most 8192 groups before widening.
    const chunk: u32 = groups < 8192 ? groups : 8192;
    let a0 = zero;
    let a1 = zero;
    for (let g: u32 = 0; g < chunk; g++) {
      a0 = i16x8.add(a0, i16x8.eq(v128.load(s, 0), zero));
      a1 = i16x8.add(a1, i16x8.eq(v128.load(s, 16), zero));
      a0 = i16x8.add(a0, i16x8.eq(v128.load(s, 32), zero));
      a1 = i16x8.add(a1, i16x8.eq(v128.load(s, 48), zero));
      s += 64;
    }
    total = i32x4.add(total, i32x4.extadd_pairwise_i16x8_s(a0));
    total = i32x4.add(total, i32x4.extadd_pairwise_i16x8_s(a1));
    groups -= chunk;
  }
  const zeros: u32 = <u32>(
    -(
      i32x4.extract_lane(total, 0) +
      i32x4.extract_lane(total, 1) +
      i32x4.extract_lane(total, 2) +
      i32x4.extract_lane(total, 3)
    )
  );
  const done = (n >> 5) << 5;
  let nnz: u32 = done - zeros;
  for (let i: u32 = done; i < n; i++) {
    if (load<u16>(s) != 0) nnz++;
    s += 2;
  }
  return nnz;
}
