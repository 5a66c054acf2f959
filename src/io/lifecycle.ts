/**
 * What happens when cdma ends, however it ends. Code that leaves something
 * on disk until it finishes (a temporary output, a spill folder) registers a
 * cleanup; cleanups run on normal exit, on an error, and on SIGINT, SIGTERM
 * and SIGHUP (then the process exits 130, 143 or 129). A closed standard
 * output (`cdma inspect --dump x | head -1`) ends the program quietly.
 */

const cleanups = new Set<() => void>();

/** Runs `fn` when the process ends, unless the returned function is called first. */
export function onExit(fn: () => void): () => void {
  cleanups.add(fn);
  return () => {
    cleanups.delete(fn);
  };
}

/** Runs (and forgets) every registered cleanup; one failing does not stop the rest. */
export function runCleanups(): void {
  for (const fn of [...cleanups]) {
    cleanups.delete(fn);
    try {
      fn();
    } catch {
      // best effort: the process is ending
    }
  }
}

export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
export type ExitSignal = keyof typeof SIGNAL_EXIT_CODES;

let graceful: ((signal: ExitSignal) => void) | null = null;
let gracefulUsed = false;

/**
 * While set, the first SIGINT calls `handler` instead of ending the process
 * (a study saves its checkpoint and stops at the next step); a second SIGINT,
 * or SIGTERM / SIGHUP, ends the process at once. Returns the unsetter.
 */
export function onInterrupt(handler: (signal: ExitSignal) => void): () => void {
  graceful = handler;
  gracefulUsed = false;
  return () => {
    if (graceful === handler) graceful = null;
  };
}

function onSignal(signal: ExitSignal): void {
  if (signal === 'SIGINT' && graceful !== null && !gracefulUsed) {
    gracefulUsed = true;
    graceful(signal);
    return;
  }
  runCleanups();
  process.exit(SIGNAL_EXIT_CODES[signal]);
}

/** Exit status after a closed pipe: as if killed by SIGPIPE, like other Unix tools. */
export const EPIPE_EXIT_CODE = 141;

function onStreamError(e: NodeJS.ErrnoException): void {
  if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') {
    runCleanups();
    process.exit(EPIPE_EXIT_CODE);
  }
  throw e;
}

let installed = false;

/** Installs the exit, signal and closed-pipe handlers once per process (the CLI does). */
export function installProcessGuards(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runCleanups);
  for (const signal of Object.keys(SIGNAL_EXIT_CODES) as ExitSignal[]) {
    process.on(signal, () => onSignal(signal));
  }
  process.stdout.on('error', onStreamError);
  process.stderr.on('error', onStreamError);
}
