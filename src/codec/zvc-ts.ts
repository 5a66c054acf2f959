/**
 * Zero-value compression in plain TypeScript: the fallback where WebAssembly
 * SIMD is missing, and the reference the WebAssembly kernels are tested
 * against (both give identical bytes). Format: zvc-format.ts.
 *
 * The hot loops are branch-free over typed-array words: an encoder writes
 * every element and advances the output by 1 only for a non-zero; a decoder
 * selects the next stored word or 0 by the mask bit.
 */
import { CorruptDataError } from '../errors.js';
import { alignedBytes, words16, words32, type ElementBytes } from './bytes.js';
import { zvcMaxSize } from './zvc-format.js';

/**
 * Encodes `src` (whole elements) into `out`, which must hold
 * zvcMaxSize(n, eb) bytes; returns the encoded length.
 */
export function zvcEncodeTs(src: Uint8Array, eb: ElementBytes, out: Uint8Array): number {
  const s = alignedBytes(src, eb);
  const n = s.length / eb;
  if (out.byteOffset % eb !== 0) {
    const tmp = new Uint8Array(zvcMaxSize(n, eb));
    const len = zvcEncodeTs(s, eb, tmp);
    out.set(tmp.subarray(0, len));
    return len;
  }
  return eb === 4 ? encode32(words32(s), words32(out)) * 4 : encode16(words16(s), words16(out)) * 2;
}

function encode32(s: Int32Array, d: Int32Array): number {
  const n = s.length;
  const full = n - (n & 31);
  let o = 0;
  let i = 0;
  while (i < full) {
    const at = o++;
    let mask = 0;
    for (let k = 0; k < 32; k++) {
      const v = s[i + k];
      d[o] = v;
      const nz = (v | -v) >>> 31;
      o += nz;
      mask |= nz << k;
    }
    d[at] = mask;
    i += 32;
  }
  if (i < n) {
    const at = o++;
    let mask = 0;
    for (let k = 0; i + k < n; k++) {
      const v = s[i + k];
      if (v !== 0) {
        d[o++] = v;
        mask |= 1 << k;
      }
    }
    d[at] = mask;
  }
  return o;
}

function encode16(s: Uint16Array, d: Uint16Array): number {
  const n = s.length;
  const full = n - (n & 31);
  let o = 0;
  let i = 0;
  while (i < full) {
    const at = o;
    o += 2;
    let mask = 0;
    for (let k = 0; k < 32; k++) {
      const v = s[i + k];
      d[o] = v;
      const nz = (v | -v) >>> 31;
      o += nz;
      mask |= nz << k;
    }
    d[at] = mask & 0xffff;
    d[at + 1] = mask >>> 16;
    i += 32;
  }
  if (i < n) {
    const at = o;
    o += 2;
    let mask = 0;
    for (let k = 0; i + k < n; k++) {
      const v = s[i + k];
      if (v !== 0) {
        d[o++] = v;
        mask |= 1 << k;
      }
    }
    d[at] = mask & 0xffff;
    d[at + 1] = mask >>> 16;
  }
  return o;
}

/**
 * Decodes `src` into exactly `out.length` bytes (whole elements). Throws
 * CorruptDataError when the input is truncated, a mask marks elements past
 * the end, or bytes are left over.
 */
export function zvcDecodeTs(src: Uint8Array, eb: ElementBytes, out: Uint8Array): void {
  if (src.length % eb !== 0)
    throw new CorruptDataError(`zvc payload of ${src.length} bytes is not whole ${eb}-byte words`);
  const s = alignedBytes(src, eb);
  const d = out.byteOffset % eb === 0 ? out : new Uint8Array(out.length);
  const n = out.length / eb;
  const used = eb === 4 ? decode32(words32(s), words32(d), n) : decode16(words16(s), words16(d), n);
  if (used < 0) throw zvcCorrupt(used);
  if (d !== out) out.set(d);
}

/** The CorruptDataError for a negative decoder status (shared with the WebAssembly path). */
export function zvcCorrupt(status: number): CorruptDataError {
  switch (status) {
    case -1:
      return new CorruptDataError('zvc payload is truncated: it ends inside a block');
    case -2:
      return new CorruptDataError('zvc payload is corrupt: a mask marks elements past the end');
    default:
      return new CorruptDataError('zvc payload is corrupt: bytes follow the last block');
  }
}

/** Returns 0, or -1 truncated, -2 mask past the end, -3 trailing words. */
function decode32(s: Int32Array, d: Int32Array, n: number): number {
  const len = s.length;
  const full = n - (n & 31);
  let p = 0;
  let i = 0;
  // Fast path: the block's mask and 32 further words lie inside the input, so
  // the unconditional read s[p] below stays in bounds.
  while (i < full && p + 33 < len) {
    const mask = s[p++];
    for (let k = 0; k < 32; k++) {
      const bit = (mask >>> k) & 1;
      d[i + k] = s[p] & -bit;
      p += bit;
    }
    i += 32;
  }
  while (i < n) {
    if (p >= len) return -1;
    const mask = s[p++];
    const count = Math.min(32, n - i);
    if (count < 32 && mask >>> count !== 0) return -2;
    if (p + popcount(mask) > len) return -1;
    for (let k = 0; k < count; k++) d[i + k] = (mask >>> k) & 1 ? s[p++] : 0;
    i += count;
  }
  return p === len ? 0 : -3;
}

function decode16(s: Uint16Array, d: Uint16Array, n: number): number {
  const len = s.length;
  const full = n - (n & 31);
  let p = 0;
  let i = 0;
  while (i < full && p + 34 < len) {
    const mask = s[p] | (s[p + 1] << 16);
    p += 2;
    for (let k = 0; k < 32; k++) {
      const bit = (mask >>> k) & 1;
      d[i + k] = s[p] & -bit;
      p += bit;
    }
    i += 32;
  }
  while (i < n) {
    if (p + 2 > len) return -1;
    const mask = s[p] | (s[p + 1] << 16);
    p += 2;
    const count = Math.min(32, n - i);
    if (count < 32 && mask >>> count !== 0) return -2;
    if (p + popcount(mask) > len) return -1;
    for (let k = 0; k < count; k++) d[i + k] = (mask >>> k) & 1 ? s[p++] : 0;
    i += count;
  }
  return p === len ? 0 : -3;
}

/** Set bits of a 32-bit integer. */
export function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}
