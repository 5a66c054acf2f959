/** Dataset folders: existence, listing and type checks with one-line errors (files are read by io/read.ts). */
import { readdirSync, statSync, type Stats } from 'node:fs';
import { InputFileError } from '../errors.js';

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
