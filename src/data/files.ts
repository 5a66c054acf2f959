/** Reading dataset files without trusting them: missing, oversized and gzip bombs give InputFileError. */
import { readFileSync, readdirSync, statSync, type Stats } from 'node:fs';
import { gunzipSync } from 'node:zlib';
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

/** The file's bytes, gunzipped when it starts with the gzip magic; output capped at maxBytes. */
export function readMaybeGzip(path: string, what: string, maxBytes = MAX_FILE_BYTES): Buffer {
  const raw = readFileChecked(path, what, maxBytes);
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  try {
    return gunzipSync(raw, { maxOutputLength: maxBytes });
  } catch (e) {
    const why =
      (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
        ? `decompresses to more than ${maxBytes} bytes`
        : `is not valid gzip (${(e as Error).message})`;
    throw new InputFileError(`${what}: ${path} ${why}; re-download or re-extract it`);
  }
}
