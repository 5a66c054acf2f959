/** Temporary directories for tests that are always removed afterwards. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The part of node:test's context that registers cleanup. */
interface AfterContext {
  after(fn: () => void | Promise<void>): void;
}

/**
 * Makes a fresh `cdma-<prefix>-*` directory in the OS temp dir; the caller
 * removes it with removeDir (in an `after` hook). Prefer tempDir or withTempDir.
 */
export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `cdma-${prefix}-`));
}

/** Removes a directory made here, with everything in it. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A fresh temporary directory removed when test `t` ends (pass or fail). */
export function tempDir(t: AfterContext, prefix = 'test'): string {
  const dir = makeTempDir(prefix);
  t.after(() => removeDir(dir));
  return dir;
}

/** Runs `fn` with a fresh temporary directory and removes it afterwards (pass or throw). */
export async function withTempDir<T>(
  fn: (dir: string) => T | Promise<T>,
  prefix = 'test',
): Promise<T> {
  const dir = makeTempDir(prefix);
  try {
    return await fn(dir);
  } finally {
    removeDir(dir);
  }
}

/** Synchronous form of withTempDir. */
export function withTempDirSync<T>(fn: (dir: string) => T, prefix = 'test'): T {
  const dir = makeTempDir(prefix);
  try {
    return fn(dir);
  } finally {
    removeDir(dir);
  }
}
