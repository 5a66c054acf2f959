/**
 * Host memory for offloaded tensors: where the DMA engine puts what it sends
 * over the link. Every entry is a cdma container (docs/FORMAT.md: header and
 * chunk frames with CRC-32s), in RAM and in spill files alike, and every
 * fetch checks it with the container reader (src/codec/container) before
 * anything uses it: a damaged, truncated or swapped entry is a
 * CorruptDataError, never silent.
 * - RamHostStore keeps the containers in the process (in shared memory when
 *   the compute thread wrote them there: nothing is copied);
 * - SpillHostStore writes one container file per entry under a private
 *   directory (made by makeSpillDir inside the user's `--host-store DIR`,
 *   removed on close). The store's index keeps each file's length and
 *   fingerprint (the XOR of its frame CRCs), so another entry's valid
 *   container in its place is caught too.
 *
 * Runs on the transfer-engine thread, so its API is synchronous.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { CorruptDataError } from '../errors.js';
import { getCodec } from '../codec/registry.js';
import { fingerprintOf, verifyContainer } from '../codec/container/engine-io.js';
import { parseContainer, type ParsedContainer } from '../codec/container/reader.js';
import { HostStoreError } from './errors.js';

export interface HostStore {
  /** Keeps the container `bytes` (the store takes ownership) under `key`, replacing nothing. */
  put(key: number, bytes: Uint8Array): void;
  /** The container kept under `key`, checked by the container reader (checksums included). */
  get(key: number): ParsedContainer;
  /**
   * The container under `key` in `dest` (exactly its length), checked; for
   * a RAM entry that already lives at `dest`, nothing is copied.
   */
  getInto(key: number, dest: Uint8Array): ParsedContainer;
  /** Bytes of the container kept under `key`. */
  lengthOf(key: number): number;
  /**
   * The raw bytes of the tensor under `key` when its container lives at
   * `dest` (a RAM entry written there), unchecked; else -1.
   */
  rawBytesInPlace(key: number, dest: Uint8Array): number;
  delete(key: number): void;
  /** Bytes held now (containers). */
  readonly bytes: number;
  readonly entries: number;
  /** Drops everything (and removes spill files). */
  close(): void;
}

/** What the store knows of an entry's container: its length and fingerprint (XOR of its frame CRCs). */
export interface Indexed {
  readonly length: number;
  readonly fingerprint: number;
  /** Raw bytes of the tensor it holds (absent: not known). */
  readonly rawBytes?: number;
}

function missing(key: number): never {
  throw new HostStoreError(`host store has no entry ${key} (it was never stored or already freed)`);
}

/** Structure of a container being stored (no checksums: the writer just made them). */
function indexOf(key: number, bytes: Uint8Array): Indexed {
  try {
    const c = parseContainer(bytes, getCodec);
    return { length: bytes.byteLength, fingerprint: fingerprintOf(c), rawBytes: c.rawBytes };
  } catch (e) {
    throw new HostStoreError(
      `host store entry ${key} is not a valid container: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/**
 * Checks `bytes` as an entry's container: the reader's checks (CRC-32s
 * included), then length and fingerprint. The engine does it on prefetch;
 * the compute thread may do it first (manager.ts). Throws CorruptDataError.
 */
export function checkContainer(what: string, bytes: Uint8Array, idx: Indexed): ParsedContainer {
  if (bytes.byteLength !== idx.length)
    throw new CorruptDataError(`${what} has ${bytes.byteLength} bytes, expected ${idx.length}`);
  let c: ParsedContainer;
  try {
    c = verifyContainer(bytes, getCodec);
  } catch (e) {
    if (e instanceof CorruptDataError)
      throw new CorruptDataError(`${what} failed its container check (CRC-32): ${e.message}`);
    throw e;
  }
  if (fingerprintOf(c) !== idx.fingerprint)
    throw new CorruptDataError(`${what} holds another entry's data (its chunk CRC-32s differ)`);
  return c;
}

function sameRegion(a: Uint8Array, b: Uint8Array): boolean {
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.byteLength === b.byteLength;
}

export class RamHostStore implements HostStore {
  readonly #entries = new Map<number, { bytes: Uint8Array; idx: Indexed }>();
  #bytes = 0;

  put(key: number, bytes: Uint8Array): void {
    if (this.#entries.has(key)) throw new HostStoreError(`host store entry ${key} already exists`);
    this.#entries.set(key, { bytes, idx: indexOf(key, bytes) });
    this.#bytes += bytes.byteLength;
  }

  get(key: number): ParsedContainer {
    const e = this.#entries.get(key) ?? missing(key);
    return checkContainer(`host memory entry ${key}`, e.bytes, e.idx);
  }

  getInto(key: number, dest: Uint8Array): ParsedContainer {
    const e = this.#entries.get(key) ?? missing(key);
    if (!sameRegion(e.bytes, dest)) {
      if (dest.byteLength !== e.bytes.byteLength)
        throw new HostStoreError(
          `host memory entry ${key} has ${e.bytes.byteLength} bytes, not ${dest.byteLength}`,
        );
      dest.set(e.bytes);
    }
    return checkContainer(`host memory entry ${key}`, dest, e.idx);
  }

  lengthOf(key: number): number {
    return (this.#entries.get(key) ?? missing(key)).bytes.byteLength;
  }

  rawBytesInPlace(key: number, dest: Uint8Array): number {
    const e = this.#entries.get(key) ?? missing(key);
    return sameRegion(e.bytes, dest) ? (e.idx.rawBytes ?? -1) : -1;
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
  write(path: string, data: Uint8Array): void;
  /** Reads the file into `dest` when given (returns the bytes read there), else whole. */
  read(path: string, dest?: Uint8Array): Uint8Array;
  remove(path: string): void;
}

export const nodeSpillIo: SpillIo = {
  write(path, data) {
    const fd = fs.openSync(path, 'w', 0o600);
    try {
      let done = 0;
      while (done < data.byteLength) {
        done += fs.writeSync(fd, data, done, Math.min(data.byteLength - done, 1 << 30));
      }
    } finally {
      fs.closeSync(fd);
    }
  },
  read(path, dest) {
    if (dest === undefined) return fs.readFileSync(path);
    const fd = fs.openSync(path, 'r');
    try {
      // A file of another length is returned whole: the store reports the mismatch.
      if (fs.fstatSync(fd).size !== dest.byteLength) return fs.readFileSync(fd);
      let done = 0;
      for (;;) {
        const n = fs.readSync(fd, dest, done, Math.min(dest.byteLength - done, 1 << 30), done);
        if (n === 0 || done + n === dest.byteLength) return dest.subarray(0, done + n);
        done += n;
      }
    } finally {
      fs.closeSync(fd);
    }
  },
  remove(path) {
    fs.rmSync(path, { force: true });
  },
};

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
  readonly #entries = new Map<number, { path: string; idx: Indexed }>();
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
    const idx = indexOf(key, bytes);
    const path = join(this.dir, `${key}.cdma`);
    try {
      this.#io.write(path, bytes);
    } catch (e) {
      try {
        this.#io.remove(path);
      } catch {
        // the write error is the one to report
      }
      throw describeIoError(e, `writing ${bytes.byteLength} bytes to ${path}`, this.dir);
    }
    this.#entries.set(key, { path, idx });
    this.#bytes += bytes.byteLength;
  }

  #read(key: number, dest?: Uint8Array): ParsedContainer {
    const e = this.#entries.get(key) ?? missing(key);
    if (dest !== undefined && dest.byteLength !== e.idx.length)
      throw new HostStoreError(
        `spill file ${e.path} has ${e.idx.length} bytes, not ${dest.byteLength}`,
      );
    let file: Uint8Array;
    try {
      file = this.#io.read(e.path, dest);
    } catch (err) {
      throw describeIoError(err, `reading ${e.path}`, this.dir);
    }
    return checkContainer(`spill file ${e.path}`, file, e.idx);
  }

  get(key: number): ParsedContainer {
    return this.#read(key);
  }

  getInto(key: number, dest: Uint8Array): ParsedContainer {
    return this.#read(key, dest);
  }

  lengthOf(key: number): number {
    return (this.#entries.get(key) ?? missing(key)).idx.length;
  }

  /** A spill entry always comes back from its file, checked. */
  rawBytesInPlace(key: number, _dest?: Uint8Array): number {
    if (!this.#entries.has(key)) missing(key);
    return -1;
  }

  delete(key: number): void {
    const e = this.#entries.get(key);
    if (!e) return;
    this.#entries.delete(key);
    this.#bytes -= e.idx.length;
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
