/**
 * The one safe writer. Every file cdma writes goes through here:
 * - an existing path that is not a regular file (a device, a FIFO, a
 *   directory, a socket) is refused, never replaced;
 * - an output that is the same file as an input (same device and inode, so
 *   hard links, symbolic links and `./a` vs `a` are all caught) is refused;
 * - the bytes go to a temporary file in the same folder, are flushed, and the
 *   temporary file is renamed over the output: the output is whole or
 *   untouched, and the temporary file is removed on every failure and signal.
 * `checkOutput` runs the same checks without writing, so that commands can
 * refuse a bad output before any work starts.
 */
import {
  accessSync,
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { OutputFileError } from '../errors.js';
import { explainFsError } from './fs-errors.js';
import { onExit } from './lifecycle.js';

export interface OutputOptions {
  /** What the file is, for messages: "output", "trace", "JSON summary"... */
  readonly what?: string;
  /** Files this run reads: the output may be none of them. */
  readonly inputs?: readonly string[];
}

export type OutputData = string | Uint8Array | readonly (string | Uint8Array)[];

function kindOf(st: Stats): string {
  if (st.isFile()) return 'a file';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a pipe (FIFO)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function statOrNull(path: string, what: string): Stats | null {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new OutputFileError(`cannot write ${what} ${path}: ${explainFsError(e)}`);
  }
}

/**
 * Checks that `path` may be written: refuses non-regular files, outputs that
 * are inputs, a missing or unwritable folder. Returns the path to write (the
 * target of a symbolic link, so the link itself is kept).
 */
export function checkOutput(path: string, opts: OutputOptions = {}): string {
  const what = opts.what ?? 'output';
  if (path === '') throw new OutputFileError(`${what}: the file name is empty`);
  const st = statOrNull(path, what);
  if (st !== null && !st.isFile()) {
    throw new OutputFileError(
      `${what} ${path} exists and is ${kindOf(st)}; cdma writes only regular files and will not replace it`,
    );
  }
  if (st !== null) {
    for (const input of opts.inputs ?? []) {
      if (input === '-') continue;
      let ist: Stats;
      try {
        ist = statSync(input);
      } catch {
        continue; // an input that does not exist cannot be overwritten
      }
      if (ist.dev === st.dev && ist.ino === st.ino) {
        throw new OutputFileError(
          `${what} ${path} is the same file as the input ${input}; writing it would destroy the input. Choose another output name`,
        );
      }
    }
  }
  let target = path;
  if (st !== null && lstatSync(path).isSymbolicLink()) target = realpathSync(path);
  const dir = dirname(target);
  const dst = statOrNull(dir, what);
  if (dst === null)
    throw new OutputFileError(`cannot write ${what} ${path}: folder ${dir} does not exist`);
  if (!dst.isDirectory())
    throw new OutputFileError(`cannot write ${what} ${path}: ${dir} is not a folder`);
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new OutputFileError(
      `cannot write ${what} ${path}: ${explainFsError(e)} in folder ${dir}`,
    );
  }
  return target;
}

/** Writes `data` to `path` whole or not at all, after the checks of `checkOutput`. */
export function writeOutput(path: string, data: OutputData, opts: OutputOptions = {}): void {
  const what = opts.what ?? 'output';
  const target = checkOutput(path, opts);
  const parts = typeof data === 'string' || data instanceof Uint8Array ? [data] : data;
  const tmp = join(
    dirname(target),
    `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  let fd: number | undefined;
  const removeTmp = () => {
    try {
      if (fd !== undefined) closeSync(fd);
    } catch {
      // already closed
    }
    fd = undefined;
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already renamed or gone
    }
  };
  const forget = onExit(removeTmp);
  try {
    fd = openSync(tmp, 'wx', 0o666);
    for (const part of parts) {
      const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
      let off = 0;
      while (off < bytes.length) {
        off += writeSync(fd, bytes, off, Math.min(bytes.length - off, 1 << 30));
      }
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
  } catch (e) {
    removeTmp();
    throw new OutputFileError(`cannot write ${what} ${path}: ${explainFsError(e)}`);
  } finally {
    forget();
  }
}

/**
 * Makes sure `dir` is a folder cdma can write in, creating it (and its
 * parents) if needed. A file, a loop of links or an unwritable folder is a
 * one-line error.
 */
export function prepareOutputDir(dir: string, what = 'output folder'): void {
  if (dir === '') throw new OutputFileError(`${what}: the folder name is empty`);
  let st: Stats | null;
  try {
    st = statSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new OutputFileError(`cannot use ${what} ${dir}: ${explainFsError(e)}`);
    }
    st = null;
  }
  if (st !== null && !st.isDirectory()) {
    throw new OutputFileError(`${what} ${dir} exists and is ${kindOf(st)}, not a folder`);
  }
  try {
    if (st === null) mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new OutputFileError(`cannot use ${what} ${dir}: ${explainFsError(e)}`);
  }
}
