/**
 * CRC-32 (IEEE 802.3, the one zlib, PNG and gzip use: reflected polynomial
 * 0xEDB88320, initial value and final xor 0xFFFFFFFF). node:zlib has it natively
 * from Node 20.15; older Node 20 releases get the table-driven fallback below,
 * which gives identical values.
 */
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

const native = (zlib as { crc32?: Crc32 }).crc32;

/** CRC-32 of `data`, continuing from `value` (the CRC of the bytes before it; 0 to start). */
export const crc32: Crc32 = native ? (data, value = 0) => native(data, value) : crc32Fallback;
