/**
 * Checksum repairs applied to some mutated inputs, so that mutations reach
 * the code behind a format's checksums: container header and frame CRCs,
 * PNG chunk CRCs, the checkpoint's body CRC.
 */
import { crc32 } from '../src/codec/container/crc32.js';

/** Re-signs the container header and every frame that lies inside the input. */
export function fixContainer(b: Uint8Array): Uint8Array {
  if (b.length < 8) return b;
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  const size = view.getUint16(6, true);
  if (size < 8 || size > b.length) return b;
  view.setUint32(size - 4, crc32(b.subarray(0, size - 4)), true);
  let p = size;
  while (p + 8 <= b.length) {
    const len = view.getUint32(p, true);
    if (len > b.length - p - 8) break;
    view.setUint32(p + 4, crc32(b.subarray(p + 8, p + 8 + len), crc32(b.subarray(p, p + 4))), true);
    p += 8 + len;
  }
  return b;
}

/** Recomputes the CRC of every PNG chunk that lies inside the input. */
export function fixPng(b: Uint8Array): Uint8Array {
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  let p = 8;
  while (p + 12 <= b.length) {
    const len = view.getUint32(p, false);
    if (len > b.length - p - 12) break;
    view.setUint32(p + 8 + len, crc32(b.subarray(p + 4, p + 8 + len)), false);
    p += 12 + len;
  }
  return b;
}

/** Recomputes a checkpoint's CRC-32 of everything after its 20-byte preamble. */
export function fixCheckpoint(b: Uint8Array): Uint8Array {
  if (b.length < 20) return b;
  new DataView(b.buffer, b.byteOffset, b.length).setUint32(16, crc32(b.subarray(20)) >>> 0, true);
  return b;
}

/** A checkpoint with its JSON header replaced by `header` (length and CRC updated). */
export function withCheckpointHeader(b: Uint8Array, header: Uint8Array): Uint8Array {
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  const old = Math.min(view.getUint32(12, true), b.length - 20);
  const out = new Uint8Array(b.length - old + header.length);
  out.set(b.subarray(0, 20));
  out.set(header, 20);
  out.set(b.subarray(20 + old), 20 + header.length);
  new DataView(out.buffer).setUint32(12, header.length, true);
  return fixCheckpoint(out);
}
