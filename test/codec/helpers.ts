/** Test data for the codec tests: special bit patterns and seeded tensors of a given density. */
import { seededRandom } from '../../src/codec/rng.js';
import type { ElementBytes } from '../../src/codec/bytes.js';

/** float32 bit patterns that must survive bit-exactly (zero first). */
export const SPECIAL32 = [
  0x00000000, // +0
  0x80000000, // -0.0: non-zero bits
  0x7fc00000, // quiet NaN
  0x7f800001, // signalling NaN with payload
  0xffc12345, // negative NaN with payload
  0x7f800000, // +Infinity
  0xff800000, // -Infinity
  0x00000001, // smallest denormal
  0x807fffff, // largest negative denormal
  0x3f800000, // 1.0
  0x00000100, // a word whose low byte is zero
  0x01000000, // a word whose high byte alone is set
];

/** float16 / bfloat16 bit patterns (zero first). */
export const SPECIAL16 = [
  0x0000, // +0
  0x8000, // -0.0
  0x7e00, // f16 quiet NaN
  0x7c01, // f16 signalling NaN
  0x7fc0, // bf16 quiet NaN
  0xff81, // bf16 negative NaN with payload
  0x7c00, // f16 +Infinity
  0xfc00, // f16 -Infinity
  0x7f80, // bf16 +Infinity
  0x0001, // smallest denormal
  0x83ff, // negative f16 denormal
  0x3c00, // f16 1.0
  0x0100, // low byte zero
];

/** Little-endian bytes of `words` as `eb`-byte elements. */
export function wordsToBytes(words: readonly number[], eb: ElementBytes): Uint8Array {
  const out = new Uint8Array(words.length * eb);
  const dv = new DataView(out.buffer);
  words.forEach((w, i) =>
    eb === 4 ? dv.setUint32(i * eb, w >>> 0, true) : dv.setUint16(i * eb, w & 0xffff, true),
  );
  return out;
}

/**
 * n seeded elements of width eb, each non-zero with probability `density`;
 * non-zeros are random bit patterns (never all-zero), sometimes special ones.
 */
export function randomTensor(
  n: number,
  eb: ElementBytes,
  density: number,
  seed: number,
): Uint8Array {
  const rand = seededRandom(seed);
  const specials = eb === 4 ? SPECIAL32.slice(1) : SPECIAL16.slice(1);
  const words: number[] = [];
  for (let i = 0; i < n; i++) {
    if (rand() >= density) words.push(0);
    else if (rand() < 0.1) words.push(specials[Math.floor(rand() * specials.length)]);
    else {
      const w = Math.floor(rand() * (eb === 4 ? 2 ** 32 : 2 ** 16));
      words.push(w === 0 ? 1 : w);
    }
  }
  return wordsToBytes(words, eb);
}

/** `bytes` copied to an odd offset inside a larger buffer (to exercise unaligned paths). */
export function atOddOffset(bytes: Uint8Array): Uint8Array {
  const buf = new Uint8Array(bytes.length + 3);
  buf.set(bytes, 1);
  return buf.subarray(1, 1 + bytes.length);
}

/** True when a and b hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return (
    Buffer.compare(
      Buffer.from(a.buffer, a.byteOffset, a.length),
      Buffer.from(b.buffer, b.byteOffset, b.length),
    ) === 0
  );
}
