/**
 * The one bounded reader. Every file cdma reads goes through here:
 * - regular files only (a FIFO, device or directory is refused before a byte
 *   is read; `-` means standard input where the caller allows it);
 * - the size limit is checked before reading and enforced while reading (a
 *   file that grows past what fstat said is an error, not a longer read);
 * - every decompression is bounded by what its header may claim and by the
 *   caller's limit (gzip bombs end in the typed error).
 * Failures are InputFileError naming the file and the problem.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { Gunzip } from 'fflate';
import { crc32, constants as zlibConstants, gunzipSync, inflateSync } from 'node:zlib';
import { InputFileError } from '../errors.js';
import { explainFsError } from './fs-errors.js';
import { formatBytes } from './sizes.js';

export interface ReadOptions {
  /** What the file is, for messages: "input", "ratio table", "image"... */
  readonly what: string;
  /** Largest file accepted, in bytes. */
  readonly maxBytes: number;
  /** `-` reads standard input (bounded by maxBytes too). */
  readonly stdin?: boolean;
}

/** Largest file read whole (Node's Buffer limit on 32-bit lengths). */
export const MAX_READ_BYTES = 2 ** 31 - 1;

const CHUNK = 1 << 20;

function tooLarge(what: string, path: string, size: number | string, max: number): InputFileError {
  const s = typeof size === 'number' ? `${formatBytes(size)} (${size} bytes)` : size;
  return new InputFileError(
    `${what} ${path} is ${s}, over the ${formatBytes(max)} (${max} bytes) limit for this kind of file`,
  );
}

/** Opens without blocking (a FIFO opens at once) and without following into a terminal. */
function openForRead(path: string, what: string): number {
  try {
    return openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputFileError(`${what} ${path} does not exist`);
    throw new InputFileError(`cannot read ${what} ${path}: ${explainFsError(e)}`);
  }
}

/** Reads exactly the regular file at `path`, at most `maxBytes` of it. */
export function readBounded(path: string, opts: ReadOptions): Buffer {
  const { what } = opts;
  const maxBytes = Math.min(opts.maxBytes, MAX_READ_BYTES);
  if (path === '-' && opts.stdin === true) return readStdin(what, maxBytes);
  if (path === '') throw new InputFileError(`${what}: the file name is empty`);
  const fd = openForRead(path, what);
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new InputFileError(`${what} ${path} is a directory, not a file`);
    if (!st.isFile()) {
      const kind = st.isFIFO()
        ? 'a pipe'
        : st.isCharacterDevice() || st.isBlockDevice()
          ? 'a device'
          : st.isSocket()
            ? 'a socket'
            : 'not a regular file';
      throw new InputFileError(
        `${what} ${path} is ${kind}; give a regular file${opts.stdin === true ? " (or '-' for standard input)" : ''}`,
      );
    }
    if (st.size > maxBytes) throw tooLarge(what, path, st.size, maxBytes);
    const buf = Buffer.allocUnsafe(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, buf, got, Math.min(CHUNK, st.size - got), null);
      if (n === 0) break; // the file shrank while being read: return what it holds
      got += n;
    }
    // A file that keeps growing past what fstat said is not read on: one probe byte tells.
    const probe = Buffer.allocUnsafe(1);
    if (readSync(fd, probe, 0, 1, null) !== 0) {
      if (st.size + 1 > maxBytes) throw tooLarge(what, path, 'growing', maxBytes);
      throw new InputFileError(`${what} ${path} changed while it was being read; try again`);
    }
    return got === st.size ? buf : buf.subarray(0, got);
  } catch (e) {
    if (e instanceof InputFileError) throw e;
    throw new InputFileError(`cannot read ${what} ${path}: ${explainFsError(e)}`);
  } finally {
    closeSync(fd);
  }
}

function readStdin(what: string, maxBytes: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  const chunk = Buffer.allocUnsafe(CHUNK);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, chunk, 0, chunk.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        // Non-blocking stdin with nothing yet: wait briefly instead of spinning.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      if (code === 'EOF') break;
      throw new InputFileError(`cannot read ${what} from standard input: ${explainFsError(e)}`);
    }
    if (n === 0) break;
    total += n;
    if (total > maxBytes) throw tooLarge(what, 'on standard input', 'longer', maxBytes);
    chunks.push(Buffer.from(chunk.subarray(0, n)));
  }
  return Buffer.concat(chunks, total);
}

/** UTF-8 text of a bounded file; invalid UTF-8 is an error, not replacement characters. */
export function readTextBounded(path: string, opts: ReadOptions): string {
  const bytes = readBounded(path, opts);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new InputFileError(`${opts.what} ${path} is not UTF-8 text`);
  }
}

/** Deepest nesting of arrays and objects a JSON input may have (deeper input could overflow the stack of code that walks it). */
export const MAX_JSON_DEPTH = 100;

/** The deepest nesting of `[` and `{` in JSON text, strings skipped; stops counting past `limit`. */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max && (max = depth) > limit) return max;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** `s` on one line: control characters (the parser quotes the input) shown as escapes. */
function printable(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    out += c < 0x20 || c === 0x7f ? `\\x${c.toString(16).padStart(2, '0')}` : ch;
  }
  return out;
}

/** A bounded file parsed as JSON; a syntax error or nesting deeper than MAX_JSON_DEPTH names the file. */
export function readJsonBounded(path: string, opts: ReadOptions): unknown {
  const text = readTextBounded(path, opts);
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw new InputFileError(
      `${opts.what} ${path} nests arrays and objects more than ${MAX_JSON_DEPTH} deep; it is not a file cdma writes or reads`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InputFileError(
      `${opts.what} ${path} is not valid JSON (${printable(e instanceof Error ? e.message : String(e))})`,
    );
  }
}

export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * Inflates gzip bytes to at most `maxBytes` (what the data's own header may
 * claim, capped by the caller's limit); more is refused as a bomb, a corrupt
 * stream is refused as corrupt. `where` names the file in messages.
 */
export function gunzipBounded(
  raw: Uint8Array,
  where: string,
  what: string,
  maxBytes: number,
): Buffer {
  try {
    return gunzipSync(raw, { maxOutputLength: Math.max(1, Math.min(maxBytes, MAX_READ_BYTES)) });
  } catch (e) {
    const why =
      (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
        ? `decompresses to more than the ${maxBytes} bytes expected`
        : `is not valid gzip (${(e as Error).message})`;
    throw new InputFileError(`${what}: ${where} ${why}; re-download or re-extract it`);
  }
}

/**
 * The first `want` bytes a gzip stream inflates to (fewer if it holds fewer),
 * without requiring the stream to end there: for reading a header, or the
 * first `--limit` records, without inflating the rest. Memory stays within
 * `want` plus 64 KiB however the stream is built.
 */
export function gunzipPrefix(raw: Uint8Array, where: string, what: string, want: number): Buffer {
  const cap = Math.min(want + (1 << 16), MAX_READ_BYTES);
  // Output for the first `len` input bytes, or null when it is over `cap`.
  const upTo = (len: number): Buffer | null => {
    try {
      return gunzipSync(raw.subarray(0, len), {
        finishFlush: zlibConstants.Z_SYNC_FLUSH,
        maxOutputLength: cap,
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return null;
      throw new InputFileError(
        `${what}: ${where} is not valid gzip (${(e as Error).message}); re-download or re-extract it`,
      );
    }
  };
  let good = 0;
  let len = Math.min(raw.length, 4096);
  for (;;) {
    const out = upTo(len);
    if (out === null) break;
    if (out.length >= want || len === raw.length)
      return out.subarray(0, Math.min(want, out.length));
    good = len;
    len = Math.min(raw.length, len * 2);
  }
  // Between `good` (too little) and `len` (too much) input lies a length whose
  // output falls in [want, cap]: one input byte adds at most a few KiB.
  let bad = len;
  while (bad - good > 1) {
    const mid = good + Math.floor((bad - good) / 2);
    const out = upTo(mid);
    if (out === null) bad = mid;
    else if (out.length >= want) return out.subarray(0, want);
    else good = mid;
  }
  throw new InputFileError(`${what}: ${where} is not valid gzip; re-download or re-extract it`);
}

/** zlib-inflates `raw` to at most `maxBytes`. */
export function inflateBounded(
  raw: Uint8Array,
  where: string,
  what: string,
  maxBytes: number,
): Buffer {
  try {
    return inflateSync(raw, { maxOutputLength: Math.max(1, Math.min(maxBytes, MAX_READ_BYTES)) });
  } catch (e) {
    const why =
      (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
        ? `decompresses to more than the ${maxBytes} bytes expected`
        : `is not valid zlib data (${(e as Error).message})`;
    throw new InputFileError(`${what}: ${where} ${why}`);
  }
}

/** Input slice fed to the streaming inflater at a time: bounds one output chunk to about 16 MiB. */
const STREAM_SLICE = 16 * 1024;

/**
 * Inflates gzip bytes as a stream, handing each inflated chunk to `onData`
 * and keeping none of it: memory is what `onData` keeps. `onData` returns
 * false to stop early (the rest of the stream is then not checked). A stream
 * read to its end is checked against its CRC-32 and length trailer.
 * Returns whether the stream was read to its end.
 */
export function gunzipStream(
  raw: Uint8Array,
  where: string,
  what: string,
  onData: (chunk: Uint8Array) => boolean,
): boolean {
  let go = true;
  let crc = 0;
  let size = 0;
  const fail = (why: string): never => {
    throw new InputFileError(`${what}: ${where} ${why}; re-download or re-extract it`);
  };
  const g = new Gunzip((chunk) => {
    if (!go) return;
    crc = crc32(chunk, crc);
    size += chunk.length;
    go = onData(chunk);
  });
  for (let off = 0; off < raw.length && go; off += STREAM_SLICE) {
    const end = Math.min(raw.length, off + STREAM_SLICE);
    try {
      g.push(raw.subarray(off, end), end === raw.length);
    } catch (e) {
      if (e instanceof InputFileError) throw e;
      fail(`is not valid gzip (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  if (!go) return false;
  if (raw.length < 18) fail('is too short to be gzip');
  const t = new DataView(raw.buffer, raw.byteOffset + raw.length - 8, 8);
  if (t.getUint32(0, true) !== crc >>> 0 || t.getUint32(4, true) !== size >>> 0) {
    fail('fails its gzip CRC-32 or length check (corrupt, or several gzip members)');
  }
  return true;
}
