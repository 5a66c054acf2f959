/**
 * Whole-file reads that explain failures in one line, and writes that never
 * leave a partial output behind (temp file in the same directory, then rename).
 */
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputFileError } from '../errors.js';

/** Largest file read whole (Node's readFile limit). */
export const MAX_READ_BYTES = 2 ** 31 - 1;

/** The bytes of the regular file at `path`; `what` names its role in errors. */
export function readInputFile(path: string, what = 'input'): Buffer {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new InputFileError(`${what} ${path} is not a regular file`);
    size = st.size;
  } catch (e) {
    if (e instanceof InputFileError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputFileError(
      code === 'ENOENT'
        ? `${what} ${path} does not exist`
        : `cannot read ${what} ${path}: ${explain(e)}`,
    );
  }
  if (size > MAX_READ_BYTES)
    throw new InputFileError(
      `${what} ${path} is ${size} bytes; files over ${MAX_READ_BYTES} bytes are not supported`,
    );
  try {
    return readFileSync(path);
  } catch (e) {
    throw new InputFileError(`cannot read ${what} ${path}: ${explain(e)}`);
  }
}

function explain(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'its directory does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return code ?? String(e);
  }
}

/**
 * Writes `parts` one after the other to `path` atomically: into a temp file
 * beside it, flushed, then renamed over `path`. On any failure the temp file
 * is removed and `path` is untouched.
 */
export function writeFileAtomic(path: string, parts: readonly Uint8Array[]): void {
  const tmp = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    for (const part of parts) {
      let off = 0;
      while (off < part.length) off += writeSync(fd, part, off, part.length - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    try {
      if (fd !== undefined) closeSync(fd);
      unlinkSync(tmp);
    } catch {
      // the temp file was never created or is already gone
    }
    throw new InputFileError(`cannot write ${path}: ${explain(e)}`);
  }
}
