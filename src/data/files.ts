/** Reading dataset files without trusting them: missing, oversized and gzip bombs give InputFileError. */
import { readFileSync, readdirSync, statSync, type Stats } from 'node:fs';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { InputFileError } from '../errors.js';

/** Largest single dataset file read into memory (compressed or not). */
export const MAX_FILE_BYTES = 2 ** 31 - 1;

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** Throws unless path is an existing directory; `hint` says what to do. */
export function requireDir(path: string, what: string, hint: string): void {
  const st = statOrNull(path);
  if (st === null) throw new InputFileError(`${what}: directory ${path} does not exist; ${hint}`);
  if (!st.isDirectory()) throw new InputFileError(`${what}: ${path} is not a directory; ${hint}`);
}

export function isDir(path: string): boolean {
  return statOrNull(path)?.isDirectory() ?? false;
}

export function isFile(path: string): boolean {
  return statOrNull(path)?.isFile() ?? false;
}

/** Names in a directory, sorted, hidden entries skipped. */
export function listDir(path: string, what: string): string[] {
  try {
    return readdirSync(path)
      .filter((n) => !n.startsWith('.'))
      .sort();
  } catch (e) {
    throw new InputFileError(`${what}: cannot list ${path} (${(e as Error).message})`);
  }
}

/** Reads a whole file, refusing non-files and files over maxBytes. */
export function readFileChecked(path: string, what: string, maxBytes = MAX_FILE_BYTES): Buffer {
  const st = statOrNull(path);
  if (st === null) throw new InputFileError(`${what}: ${path} does not exist`);
  if (!st.isFile()) throw new InputFileError(`${what}: ${path} is not a regular file`);
  if (st.size > maxBytes) {
    throw new InputFileError(
      `${what}: ${path} is ${st.size} bytes, more than the ${maxBytes} allowed`,
    );
  }
  try {
    return readFileSync(path);
  } catch (e) {
    throw new InputFileError(`${what}: cannot read ${path} (${(e as Error).message})`);
  }
}

export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** Inflates gzip bytes, refusing output over maxBytes (a gzip bomb) and corrupt streams. */
export function gunzipBounded(
  raw: Uint8Array,
  path: string,
  what: string,
  maxBytes: number,
): Buffer {
  try {
    return gunzipSync(raw, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (e) {
    const why =
      (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
        ? `decompresses to more than the ${maxBytes} bytes expected`
        : `is not valid gzip (${(e as Error).message})`;
    throw new InputFileError(`${what}: ${path} ${why}; re-download or re-extract it`);
  }
}

/**
 * The first bytes a gzip stream inflates to (at most about 1000x
 * `compressedBytes`), for reading a header before inflating the rest.
 */
export function gunzipPrefix(
  raw: Uint8Array,
  path: string,
  what: string,
  compressedBytes = 256,
): Buffer {
  try {
    return gunzipSync(raw.subarray(0, compressedBytes), {
      finishFlush: zlibConstants.Z_SYNC_FLUSH,
    });
  } catch (e) {
    throw new InputFileError(
      `${what}: ${path} is not valid gzip (${(e as Error).message}); re-download or re-extract it`,
    );
  }
}
