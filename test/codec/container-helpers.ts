/** Shared by the container tests: a trivial codec and header forging. */
import { CorruptDataError } from '../../src/errors.js';
import type { Codec } from '../../src/codec/codec.js';
import { crc32 } from '../../src/codec/container/crc32.js';
import { ContainerCorruptError, type CorruptReason } from '../../src/codec/container/errors.js';
import assert from 'node:assert/strict';
import { sparseFloat32 } from '../helpers/sparse.js';

/** The identity codec, written here so the container is tested on its own. */
export const identityCodec: Codec = {
  id: 'none',
  params: {},
  maxEncodedSize: (n) => n,
  encodedSize: (src) => src.length,
  maxExpansion: () => 1,
  encode(src, _eb, out) {
    if (!out) return src.slice();
    out.set(src);
    return out.subarray(0, src.length);
  },
  decode(src, _eb, n, out) {
    if (src.length !== n) throw new CorruptDataError(`expected ${n} bytes, got ${src.length}`);
    const target = out ?? new Uint8Array(n);
    target.set(src);
    return target.subarray(0, n);
  },
};

/** Recomputes the header CRC after a test edited header bytes (a forged header). */
export function resign(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const size = view.getUint16(6, true);
  view.setUint32(size - 4, crc32(bytes.subarray(0, size - 4)), true);
  return bytes;
}

/** Recomputes frame `at`'s CRC (a forged chunk). */
export function resignFrame(bytes: Uint8Array, at: number): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const len = view.getUint32(at, true);
  view.setUint32(
    at + 4,
    crc32(bytes.subarray(at + 8, at + 8 + len), crc32(bytes.subarray(at, at + 4))),
    true,
  );
  return bytes;
}

/** Asserts `fn` throws a ContainerCorruptError (optionally of `reason`, matching `pattern`). */
export function assertCorrupt(
  fn: () => unknown,
  reason?: CorruptReason,
  pattern?: RegExp,
): ContainerCorruptError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(
    caught instanceof ContainerCorruptError,
    `expected ContainerCorruptError, got ${String(caught)}`,
  );
  if (reason) assert.equal(caught.reason, reason, caught.message);
  if (pattern) assert.match(caught.message, pattern);
  return caught;
}

/** Seeded sparse float32 test data: a third non-zero bits, half of those -0, NaN, Inf or denormals. */
export function sparseFloats(n: number, seed = 1): Float32Array {
  return sparseFloat32(n, { density: 1 / 3, seed, special: 0.5 });
}
