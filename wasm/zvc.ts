// asc-flags: --importMemory
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
// Speed (docs/CODECS.md, "How the ZVC kernels work"): a block's 32-bit mask
// comes from packing the lane compares down to bytes (i16x8/i8x16.narrow)
// and one i8x16.bitmask per 16 elements, with no dependency between the
// vectors' masks; each vector's shuffle-table index is a shift and an and of
// that mask (the table rows are 16 bytes apart), and each store offset is a
// running sum of the popcounts of those indices. wasm/zvc-v1.ts keeps the
// first kernels, which the benchmark runs beside these.
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
    const v0 = v128.load(s, 0);
    const v1 = v128.load(s, 16);
    const v2 = v128.load(s, 32);
    const v3 = v128.load(s, 48);
    const v4 = v128.load(s, 64);
    const v5 = v128.load(s, 80);
    const v6 = v128.load(s, 96);
    const v7 = v128.load(s, 112);
    // Zero lanes -> all-ones 32-bit lanes, packed to 16 then 8 bits per
    // element: one bitmask gives 16 elements' zero bits.
    const zlo = <u32>(
      i8x16.bitmask(
        i8x16.narrow_i16x8_s(
          i16x8.narrow_i32x4_s(i32x4.eq(v0, zero), i32x4.eq(v1, zero)),
          i16x8.narrow_i32x4_s(i32x4.eq(v2, zero), i32x4.eq(v3, zero)),
        ),
      )
    );
    const zhi = <u32>(
      i8x16.bitmask(
        i8x16.narrow_i16x8_s(
          i16x8.narrow_i32x4_s(i32x4.eq(v4, zero), i32x4.eq(v5, zero)),
          i16x8.narrow_i32x4_s(i32x4.eq(v6, zero), i32x4.eq(v7, zero)),
        ),
      )
    );
    const mask = ~(zlo | (zhi << 16));
    store<u32>(d, mask);
    const o = d + 4;
    // Compact each vector's non-zeros to its front with the shuffle of its
    // 4-bit mask (row = nibble * 16), store all 16 bytes, advance by the
    // non-zeros only: later stores overwrite the garbage lanes.
    v128.store(o, i8x16.swizzle(v0, v128.load(ct + ((mask << 4) & 0xf0))));
    v128.store(
      o + ((<usize>popcnt(mask & 0xf)) << 2),
      i8x16.swizzle(v1, v128.load(ct + (mask & 0xf0))),
    );
    v128.store(
      o + ((<usize>popcnt(mask & 0xff)) << 2),
      i8x16.swizzle(v2, v128.load(ct + ((mask >> 4) & 0xf0))),
    );
    v128.store(
      o + ((<usize>popcnt(mask & 0xfff)) << 2),
      i8x16.swizzle(v3, v128.load(ct + ((mask >> 8) & 0xf0))),
    );
    v128.store(
      o + ((<usize>popcnt(mask & 0xffff)) << 2),
      i8x16.swizzle(v4, v128.load(ct + ((mask >> 12) & 0xf0))),
    );
    v128.store(
      o + ((<usize>popcnt(mask & 0xfffff)) << 2),
      i8x16.swizzle(v5, v128.load(ct + ((mask >> 16) & 0xf0))),
    );
    v128.store(
      o + ((<usize>popcnt(mask & 0xffffff)) << 2),
      i8x16.swizzle(v6, v128.load(ct + ((mask >> 20) & 0xf0))),
    );
    v128.store(
      o + ((<usize>popcnt(mask & 0xfffffff)) << 2),
      i8x16.swizzle(v7, v128.load(ct + ((mask >> 24) & 0xf0))),
    );
    d = o + ((<usize>popcnt(mask)) << 2);
    s += 128;
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
    // Each vector's input offset is a running sum of the popcounts of the
    // table indices (nibble * 16) before it.
    let p = s + 4;
    let i: usize = (mask << 4) & 0xf0;
    v128.store(d, i8x16.swizzle(v128.load(p), v128.load(et + i)), 0);
    p += (<usize>popcnt(i)) << 2;
    i = mask & 0xf0;
    v128.store(d, i8x16.swizzle(v128.load(p), v128.load(et + i)), 16);
    p += (<usize>popcnt(i)) << 2;
    i = (mask >> 4) & 0xf0;
    v128.store(d, i8x16.swizzle(v128.load(p), v128.load(et + i)), 32);
    p += (<usize>popcnt(i)) << 2;
    i = (mask >> 8) & 0xf0;
    v128.store(d, i8x16.swizzle(v128.load(p), v128.load(et + i)), 48);
    p += (<usize>popcnt(i)) << 2;
    i = (mask >> 12) & 0xf0;
    v128.store(d, i8x16.swizzle(v128.load(p), v128.load(et + i)), 64);
    p += (<usize>popcnt(i)) << 2;
    i = (mask >> 16) & 0xf0;
    v128.store(d, i8x16.swizzle(v128.load(p), v128.load(et + i)), 80);
    p += (<usize>popcnt(i)) << 2;
    i = (mask >> 20) & 0xf0;
    v128.store(d, i8x16.swizzle(v128.load(p), v128.load(et + i)), 96);
    p += (<usize>popcnt(i)) << 2;
    i = (mask >> 24) & 0xf0;
    v128.store(d, i8x16.swizzle(v128.load(p), v128.load(et + i)), 112);
    s += 4 + ((<usize>popcnt(mask)) << 2);
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
    // Zero lanes packed to bytes: one bitmask gives 16 elements' zero bits.
    const z01 = <u32>i8x16.bitmask(i8x16.narrow_i16x8_s(i16x8.eq(v0, zero), i16x8.eq(v1, zero)));
    const z23 = <u32>i8x16.bitmask(i8x16.narrow_i16x8_s(i16x8.eq(v2, zero), i16x8.eq(v3, zero)));
    const mask = ~(z01 | (z23 << 16));
    store<u32>(d, mask);
    const base = d + 4;
    v128.store(base, i8x16.swizzle(v0, v128.load(ct + ((mask << 4) & 0xff0))));
    v128.store(
      base + ((<usize>popcnt(mask & 0xff)) << 1),
      i8x16.swizzle(v1, v128.load(ct + ((mask >> 4) & 0xff0))),
    );
    v128.store(
      base + ((<usize>popcnt(mask & 0xffff)) << 1),
      i8x16.swizzle(v2, v128.load(ct + ((mask >> 12) & 0xff0))),
    );
    v128.store(
      base + ((<usize>popcnt(mask & 0xffffff)) << 1),
      i8x16.swizzle(v3, v128.load(ct + ((mask >> 20) & 0xff0))),
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
    const p0 = (<usize>popcnt(mask & 0xff)) << 1;
    const p1 = (<usize>popcnt(mask & 0xffff)) << 1;
    const p2 = (<usize>popcnt(mask & 0xffffff)) << 1;
    v128.store(d, i8x16.swizzle(v128.load(base), v128.load(et + ((mask << 4) & 0xff0))), 0);
    v128.store(d, i8x16.swizzle(v128.load(base + p0), v128.load(et + ((mask >> 4) & 0xff0))), 16);
    v128.store(d, i8x16.swizzle(v128.load(base + p1), v128.load(et + ((mask >> 12) & 0xff0))), 32);
    v128.store(d, i8x16.swizzle(v128.load(base + p2), v128.load(et + ((mask >> 20) & 0xff0))), 48);
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
