/** Test data for the codec tests: special bit patterns and seeded tensors of a given density. */
import { SPECIAL16, SPECIAL32, sparseElements } from '../helpers/sparse.js';
import type { ElementBytes } from '../../src/codec/bytes.js';

export { SPECIAL16, SPECIAL32 };

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
 * non-zeros are random bit patterns (never all-zero), a tenth of them special ones.
 */
export function randomTensor(
  n: number,
  eb: ElementBytes,
  density: number,
  seed: number,
): Uint8Array {
  return sparseElements(n, eb, { density, seed, special: 0.1 });
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
