/**
 * CRC-32 (IEEE 802.3, the one zlib, PNG and gzip use: reflected polynomial
 * 0xEDB88320, initial value and final xor 0xFFFFFFFF).
 *
 * Three implementations give identical values; the fastest that loads is
 * used. Measured on 21 MiB of ZVC payload (bench/container.ts, 2-core AMD
 * EPYC): @node-rs/crc32 (a native addon folding with carry-less multiplies)
 * 10-12 GB/s, node:zlib's crc32 (Node >= 20.15) 3.1-3.5 GB/s, the table
 * below about 0.4 GB/s. The addon ships prebuilt binaries for the common
 * platforms; where it cannot load, node:zlib's is used, and on Node releases
 * before 20.15 the table.
 */
import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';

type Crc32 = (data: Uint8Array, value?: number) => number;

function makeTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

const TABLE = makeTable();

/** Table-driven CRC-32; `value` continues a previous CRC (0 to start). */
export function crc32Fallback(data: Uint8Array, value = 0): number {
  const table = TABLE;
  let c = ~value >>> 0;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** node:zlib's CRC-32 (Node >= 20.15), or undefined. */
export const crc32Zlib: Crc32 | undefined = (() => {
  const f = (zlib as { crc32?: Crc32 }).crc32;
  // node:zlib returns 0 for empty data whatever the value continued from.
  return f
    ? (data: Uint8Array, value = 0) => (data.length === 0 ? value >>> 0 : f(data, value))
    : undefined;
})();

/** @node-rs/crc32's CRC-32, or undefined where the addon cannot load here. */
export const crc32Native: Crc32 | undefined = (() => {
  try {
    const require = createRequire(import.meta.url);
    const mod = require('@node-rs/crc32') as { crc32(b: Buffer, initial?: number): number };
    const f = (data: Uint8Array, value = 0): number =>
      mod.crc32(Buffer.from(data.buffer, data.byteOffset, data.length), value) >>> 0;
    // Trust it only when it agrees with the definition on the check value.
    return f(new TextEncoder().encode('123456789')) === 0xcbf43926 ? f : undefined;
  } catch {
    return undefined;
  }
})();

/** Which implementation `crc32` is. */
export const crc32Impl: 'native' | 'zlib' | 'table' = crc32Native
  ? 'native'
  : crc32Zlib
    ? 'zlib'
    : 'table';

/** CRC-32 of `data`, continuing from `value` (the CRC of the bytes before it; 0 to start). */
export const crc32: Crc32 = crc32Native ?? crc32Zlib ?? crc32Fallback;
