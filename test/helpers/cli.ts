import { spawn, type ChildProcess } from 'node:child_process';
import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Runs `fn` with stdout and stderr captured (not printed). */
export async function captureOutput(fn: () => Promise<number>): Promise<CliResult> {
  let out = '';
  let err = '';
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => (
    (out += String(s)),
    true
  )) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => (
    (err += String(s)),
    true
  )) as typeof process.stderr.write;
  try {
    const code = await fn();
    return { code, out, err };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

/** Runs the `cdma` CLI in this process, capturing what it prints. */
export function runCli(...args: string[]): Promise<CliResult> {
  return captureOutput(() => main(args));
}

export interface CliProcessOptions {
  /** Extra environment variables (CI=true is always set: plain progress lines). */
  readonly env?: Readonly<Record<string, string>>;
  /** Called with each chunk of stderr as it arrives, with the child (to signal it). */
  readonly onStderr?: (soFar: string, child: ChildProcess) => void;
  /** A script to run instead of the CLI (its arguments are `args`). */
  readonly script?: string;
}

/**
 * Runs the `cdma` CLI from source (`src/cli/main.ts` through tsx) in a child
 * process and resolves with its exit code and output (a signal-killed child
 * gives code -1). For what only a real process shows: exit codes, signals,
 * the process's own stdout.
 */
export function runCliProcess(
  args: readonly string[],
  o: CliProcessOptions = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', o.script ?? 'src/cli/main.ts', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true', ...o.env } },
    );
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (out += d));
    child.stderr.on('data', (d: string) => {
      err += d;
      o.onStderr?.(err, child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}
