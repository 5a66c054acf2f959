/**
 * Host memory for offloaded tensors: where the DMA engine puts what it sends
 * over the link. Two kinds, both checksummed per entry with CRC-32 and
 * verified on every fetch (a mismatch is a CorruptDataError, never silent):
 * - RamHostStore keeps entries in the process;
 * - SpillHostStore writes one file per entry under a private directory it
 *   creates inside the user's `--host-store DIR` and removes on close.
 *
 * Runs on the transfer-engine thread, so its API is synchronous.
 */
import { crc32 } from 'node:zlib';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { CorruptDataError } from '../errors.js';
import { HostStoreError } from './errors.js';

export interface HostStore {
  /** Keeps `bytes` (the store takes ownership) under `key`, replacing nothing. */
  put(key: number, bytes: Uint8Array): void;
  /** The bytes kept under `key`, verified against their checksum. */
  get(key: number): Uint8Array;
  delete(key: number): void;
  /** Bytes held now (payload only). */
  readonly bytes: number;
  readonly entries: number;
  /** Drops everything (and removes spill files). */
  close(): void;
}

function checksum(b: Uint8Array): number {
  return crc32(b) >>> 0;
}

function missing(key: number): never {
  throw new HostStoreError(`host store has no entry ${key} (it was never stored or already freed)`);
}

export class RamHostStore implements HostStore {
  readonly #entries = new Map<number, { bytes: Uint8Array; crc: number }>();
  #bytes = 0;

  put(key: number, bytes: Uint8Array): void {
    if (this.#entries.has(key)) throw new HostStoreError(`host store entry ${key} already exists`);
    this.#entries.set(key, { bytes, crc: checksum(bytes) });
    this.#bytes += bytes.byteLength;
  }

  get(key: number): Uint8Array {
    const e = this.#entries.get(key) ?? missing(key);
    if (checksum(e.bytes) !== e.crc) {
      throw new CorruptDataError(`host memory entry ${key} failed its CRC-32 check`);
    }
    return e.bytes;
  }

  delete(key: number): void {
    const e = this.#entries.get(key);
    if (!e) return;
    this.#entries.delete(key);
    this.#bytes -= e.bytes.byteLength;
  }

  get bytes(): number {
    return this.#bytes;
  }
  get entries(): number {
    return this.#entries.size;
  }
  close(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}

/** The file operations SpillHostStore needs; tests substitute failing ones. */
export interface SpillIo {
  write(path: string, header: Uint8Array, data: Uint8Array): void;
  read(path: string): Uint8Array;
  remove(path: string): void;
}

export const nodeSpillIo: SpillIo = {
  write(path, header, data) {
    const fd = fs.openSync(path, 'w', 0o600);
    try {
      for (const part of [header, data]) {
        let done = 0;
        while (done < part.byteLength) {
          done += fs.writeSync(fd, part, done, Math.min(part.byteLength - done, 1 << 30));
        }
      }
    } finally {
      fs.closeSync(fd);
    }
  },
  read(path) {
    return fs.readFileSync(path);
  },
  remove(path) {
    fs.rmSync(path, { force: true });
  },
};

/** "CDMASPL1", then u64 payload length, u32 CRC-32 of the payload, u32 entry key. */
export const SPILL_HEADER_BYTES = 24;
const MAGIC = new TextEncoder().encode('CDMASPL1');

function encodeHeader(key: number, length: number, crc: number): Uint8Array {
  const h = new Uint8Array(SPILL_HEADER_BYTES);
  h.set(MAGIC, 0);
  const v = new DataView(h.buffer);
  v.setBigUint64(8, BigInt(length), true);
  v.setUint32(16, crc, true);
  v.setUint32(20, key >>> 0, true);
  return h;
}

function describeIoError(e: unknown, what: string, dir: string): HostStoreError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new HostStoreError(
      `host store ${dir} is full while ${what}; free disk space or choose another --host-store directory`,
    );
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new HostStoreError(
    `host store ${dir} failed while ${what}: ${msg}; check the --host-store directory`,
  );
}

/** Creates a private `cdma-spill-*` directory inside `parent` (which must be a folder). */
export function makeSpillDir(parent: string): string {
  try {
    if (!fs.statSync(parent).isDirectory()) throw new Error('not a directory');
    return fs.mkdtempSync(join(parent, 'cdma-spill-'));
  } catch (e) {
    throw new HostStoreError(
      `cannot use host store directory ${parent}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

export class SpillHostStore implements HostStore {
  /** The private directory holding this store's files. */
  readonly dir: string;
  readonly #io: SpillIo;
  readonly #entries = new Map<number, { path: string; length: number; crc: number }>();
  #bytes = 0;

  /**
   * Uses `privateDir` when given (made by makeSpillDir), else creates a
   * private directory inside `parent` (which must exist).
   */
  constructor(parent: string, io: SpillIo = nodeSpillIo, privateDir?: string) {
    this.#io = io;
    this.dir = privateDir ?? makeSpillDir(parent);
  }

  put(key: number, bytes: Uint8Array): void {
    if (this.#entries.has(key)) throw new HostStoreError(`host store entry ${key} already exists`);
    const path = join(this.dir, `${key}.spill`);
    const crc = checksum(bytes);
    try {
      this.#io.write(path, encodeHeader(key, bytes.byteLength, crc), bytes);
    } catch (e) {
      try {
        this.#io.remove(path);
      } catch {
        // the write error is the one to report
      }
      throw describeIoError(e, `writing ${bytes.byteLength} bytes to ${path}`, this.dir);
    }
    this.#entries.set(key, { path, length: bytes.byteLength, crc });
    this.#bytes += bytes.byteLength;
  }

  get(key: number): Uint8Array {
    const e = this.#entries.get(key) ?? missing(key);
    let file: Uint8Array;
    try {
      file = this.#io.read(e.path);
    } catch (err) {
      throw describeIoError(err, `reading ${e.path}`, this.dir);
    }
    if (file.byteLength !== SPILL_HEADER_BYTES + e.length) {
      throw new CorruptDataError(
        `spill file ${e.path} has ${file.byteLength} bytes, expected ${SPILL_HEADER_BYTES + e.length}`,
      );
    }
    const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
    const magicOk = MAGIC.every((b, i) => file[i] === b);
    if (
      !magicOk ||
      v.getBigUint64(8, true) !== BigInt(e.length) ||
      v.getUint32(16, true) !== e.crc ||
      v.getUint32(20, true) !== key >>> 0
    ) {
      throw new CorruptDataError(`spill file ${e.path} has a damaged or foreign header`);
    }
    const payload = new Uint8Array(file.buffer, file.byteOffset + SPILL_HEADER_BYTES, e.length);
    if (checksum(payload) !== e.crc) {
      throw new CorruptDataError(`spill file ${e.path} failed its CRC-32 check`);
    }
    return payload;
  }

  delete(key: number): void {
    const e = this.#entries.get(key);
    if (!e) return;
    this.#entries.delete(key);
    this.#bytes -= e.length;
    try {
      this.#io.remove(e.path);
    } catch (err) {
      throw describeIoError(err, `removing ${e.path}`, this.dir);
    }
  }

  get bytes(): number {
    return this.#bytes;
  }
  get entries(): number {
    return this.#entries.size;
  }
  close(): void {
    this.#entries.clear();
    this.#bytes = 0;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
