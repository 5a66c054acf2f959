/**
 * Byte-level mutators: bit flips, interesting bytes and words, arithmetic,
 * truncation, extension, chunk duplication, deletion and swapping, and
 * splicing with another seed. `havoc` stacks a few of them.
 */
import type { Rng } from './rng.js';

const INTERESTING_8 = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x10, 0x20, 0x40, 0x64, 0xfe];
const INTERESTING_16 = [0x0000, 0x0001, 0x7fff, 0x8000, 0xffff, 0x0100, 0x00ff, 0x1000];
const INTERESTING_32 = [
  0x00000000, 0x00000001, 0x0000007f, 0x00000080, 0x000000ff, 0x00007fff, 0x0000ffff, 0x00010000,
  0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x40000000, 0x00100000,
];

/** Where a mutation lands: half the time in the first `head` bytes, where headers are. */
function offset(rng: Rng, length: number, head: number): number {
  if (length <= 0) return 0;
  return rng.chance(0.5) ? rng.below(Math.min(length, head)) : rng.below(length);
}

function copy(b: Uint8Array): Uint8Array {
  return new Uint8Array(b);
}

function flipBits(rng: Rng, b: Uint8Array, head: number): Uint8Array {
  if (b.length === 0) return b;
  const out = copy(b);
  const n = rng.range(1, 8);
  for (let i = 0; i < n; i++) out[offset(rng, out.length, head)] ^= 1 << rng.below(8);
  return out;
}

function setByte(rng: Rng, b: Uint8Array, head: number): Uint8Array {
  if (b.length === 0) return b;
  const out = copy(b);
  out[offset(rng, out.length, head)] = rng.chance(0.8) ? rng.pick(INTERESTING_8) : rng.below(256);
  return out;
}

function setWord(rng: Rng, b: Uint8Array, head: number): Uint8Array {
  const width = rng.chance(0.3) ? 2 : 4;
  if (b.length < width) return setByte(rng, b, head);
  const out = copy(b);
  let at = offset(rng, out.length - width + 1, head);
  if (rng.chance(0.5)) at -= at % width;
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  const little = rng.chance(0.5);
  if (width === 2) view.setUint16(at, rng.pick(INTERESTING_16), little);
  else {
    const v = rng.chance(0.85) ? rng.pick(INTERESTING_32) : (out.length + rng.range(-8, 8)) >>> 0;
    view.setUint32(at, v, little);
  }
  return out;
}

function arith(rng: Rng, b: Uint8Array, head: number): Uint8Array {
  const width = rng.pick([1, 2, 4]);
  if (b.length < width) return b;
  const out = copy(b);
  const at = offset(rng, out.length - width + 1, head);
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  const delta = rng.range(1, 35) * (rng.chance(0.5) ? 1 : -1);
  const little = rng.chance(0.5);
  if (width === 1) out[at] = (out[at] + delta) & 0xff;
  else if (width === 2) view.setUint16(at, (view.getUint16(at, little) + delta) & 0xffff, little);
  else view.setUint32(at, (view.getUint32(at, little) + delta) >>> 0, little);
  return out;
}

function truncate(rng: Rng, b: Uint8Array): Uint8Array {
  if (b.length === 0) return b;
  const keep = rng.chance(0.5)
    ? b.length - rng.smallLength(Math.min(b.length, 64))
    : rng.below(b.length);
  return b.slice(0, Math.max(0, keep));
}

function extend(rng: Rng, b: Uint8Array): Uint8Array {
  const n = rng.chance(0.7) ? rng.smallLength(64) : rng.range(65, 8192);
  const out = new Uint8Array(b.length + n);
  out.set(b);
  const mode = rng.below(3);
  if (mode === 1) out.fill(rng.pick(INTERESTING_8), b.length);
  else if (mode === 2) for (let i = b.length; i < out.length; i++) out[i] = rng.below(256);
  return out;
}

function insertRandom(rng: Rng, b: Uint8Array, head: number): Uint8Array {
  const at = offset(rng, b.length + 1, head);
  const n = rng.smallLength(32);
  const out = new Uint8Array(b.length + n);
  out.set(b.subarray(0, at));
  for (let i = 0; i < n; i++) out[at + i] = rng.below(256);
  out.set(b.subarray(at), at + n);
  return out;
}

function chunkBounds(rng: Rng, length: number): [number, number] {
  const len = rng.smallLength(Math.max(1, Math.min(length, 1024)));
  const start = rng.below(Math.max(1, length - len + 1));
  return [start, Math.min(length, start + len)];
}

function duplicateChunk(rng: Rng, b: Uint8Array): Uint8Array {
  if (b.length === 0) return b;
  const [s, e] = chunkBounds(rng, b.length);
  const at = rng.below(b.length + 1);
  const n = e - s;
  const out = new Uint8Array(b.length + n);
  out.set(b.subarray(0, at));
  out.set(b.subarray(s, e), at);
  out.set(b.subarray(at), at + n);
  return out;
}

function deleteChunk(rng: Rng, b: Uint8Array): Uint8Array {
  if (b.length === 0) return b;
  const [s, e] = chunkBounds(rng, b.length);
  const out = new Uint8Array(b.length - (e - s));
  out.set(b.subarray(0, s));
  out.set(b.subarray(e), s);
  return out;
}

function swapChunks(rng: Rng, b: Uint8Array): Uint8Array {
  if (b.length < 4) return b;
  const len = rng.smallLength(Math.floor(b.length / 2));
  const a = rng.below(b.length - 2 * len + 1);
  const c = a + len + rng.below(b.length - a - 2 * len + 1);
  const out = copy(b);
  out.set(b.subarray(c, c + len), a);
  out.set(b.subarray(a, a + len), c);
  return out;
}

function splice(rng: Rng, b: Uint8Array, other: Uint8Array): Uint8Array {
  const cut = rng.below(b.length + 1);
  const from = rng.below(other.length + 1);
  const out = new Uint8Array(cut + other.length - from);
  out.set(b.subarray(0, cut));
  out.set(other.subarray(from), cut);
  return out;
}

export type ByteMutator =
  | 'flip'
  | 'byte'
  | 'word'
  | 'arith'
  | 'truncate'
  | 'extend'
  | 'insert'
  | 'duplicate'
  | 'delete'
  | 'swap'
  | 'splice';

const MUTATORS: readonly ByteMutator[] = [
  'flip',
  'flip',
  'byte',
  'byte',
  'word',
  'word',
  'arith',
  'truncate',
  'extend',
  'insert',
  'duplicate',
  'delete',
  'swap',
  'splice',
];

/** One mutation of `b`; `others` are inputs to splice with; `head` bounds the header-biased offsets. */
export function mutateOnce(
  rng: Rng,
  b: Uint8Array,
  others: readonly Uint8Array[],
  head: number,
  kind: ByteMutator = rng.pick(MUTATORS),
): Uint8Array {
  switch (kind) {
    case 'flip':
      return flipBits(rng, b, head);
    case 'byte':
      return setByte(rng, b, head);
    case 'word':
      return setWord(rng, b, head);
    case 'arith':
      return arith(rng, b, head);
    case 'truncate':
      return truncate(rng, b);
    case 'extend':
      return extend(rng, b);
    case 'insert':
      return insertRandom(rng, b, head);
    case 'duplicate':
      return duplicateChunk(rng, b);
    case 'delete':
      return deleteChunk(rng, b);
    case 'swap':
      return swapChunks(rng, b);
    case 'splice':
      return others.length === 0 ? flipBits(rng, b, head) : splice(rng, b, rng.pick(others));
  }
}

/** One to four stacked mutations. */
export function havoc(
  rng: Rng,
  b: Uint8Array,
  others: readonly Uint8Array[],
  head = 64,
): Uint8Array {
  let out = b;
  const n = rng.chance(0.5) ? 1 : rng.range(2, 4);
  for (let i = 0; i < n; i++) out = mutateOnce(rng, out, others, head);
  return out;
}
