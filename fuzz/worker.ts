/**
 * The fuzzing worker: holds one reader's folder, applies each input's files,
 * runs the reader and reports how it ended, its time and its memory growth.
 * The allocation guard is installed before any reader module loads.
 */
import { linkSync, mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort } from 'node:worker_threads';
import {
  beginInput,
  installAllocationGuard,
  setAllocationCap,
  takeAllocationRecord,
} from './guard.js';
import type { FromWorker, Outcome, RunMessage, SetupMessage, ToWorker } from './protocol.js';
import { LAYOUTS, type InputFiles, type ReaderName } from './readers.js';

installAllocationGuard();
Error.stackTraceLimit = 50;
for (const k of ['log', 'info', 'warn', 'debug', 'error'] as const) console[k] = () => undefined;
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const { CdmaError } = await import('../src/errors.js');
const { RUNNERS, TfjsRejection } = await import('./runners.js');

const port = parentPort;
if (port === null) throw new Error('fuzz/worker.ts runs as a worker thread');

let reader: ReaderName = 'container';
let dir = '';
let base: InputFiles = {};
let current: Record<string, Uint8Array> = {};
let dirty = new Set<string>();
let cap = 256 * 1024 * 1024;
let baseline = 0;

const used = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

function put(name: string, bytes: Uint8Array): void {
  const path = join(dir, name);
  try {
    writeFileSync(path, bytes);
  } catch {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  }
}

function setup(m: SetupMessage): void {
  reader = m.reader;
  dir = m.dir;
  base = m.base;
  cap = m.memCapBytes;
  setAllocationCap(cap);
  current = { ...base };
  dirty = new Set();
  const layout = LAYOUTS[reader];
  if (layout.onDisk) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const [name, bytes] of Object.entries(base)) put(name, bytes);
    for (const [link, target] of Object.entries(layout.links ?? {})) {
      mkdirSync(dirname(join(dir, link)), { recursive: true });
      linkSync(join(dir, target), join(dir, link));
    }
  }
  gc();
  baseline = used();
}

/** Brings the folder back to the base seed, then applies the input. */
function apply(m: RunMessage): void {
  const onDisk = LAYOUTS[reader].onDisk;
  for (const name of dirty) {
    const b = base[name];
    if (b === undefined) {
      delete current[name];
      if (onDisk) rmSync(join(dir, name), { force: true });
    } else if (!(name in m.write)) {
      current[name] = b;
      if (onDisk) put(name, b);
    }
  }
  dirty = new Set();
  for (const [name, bytes] of Object.entries(m.write)) {
    current[name] = bytes;
    dirty.add(name);
    if (onDisk) put(name, bytes);
  }
  for (const name of m.remove) {
    delete current[name];
    dirty.add(name);
    if (onDisk) {
      try {
        unlinkSync(join(dir, name));
      } catch {
        // already absent
      }
    }
  }
}

function messageProblem(message: string): string | null {
  if (/[\r\n]/.test(message)) return 'spans more than one line';
  if (message.length > 2000) return `is ${message.length} characters long`;
  if (LAYOUTS[reader].onDisk && !message.includes(dir)) return 'does not name the input file';
  return null;
}

function classify(e: unknown): Outcome {
  if (e instanceof CdmaError) {
    const problem = messageProblem(e.message);
    if (problem === null) return { kind: 'typed', name: e.name, message: e.message };
    return { kind: 'typed', name: e.name, message: e.message, problem, stack: e.stack ?? '' };
  }
  if (e instanceof TfjsRejection) return { kind: 'typed', name: e.name, message: e.message };
  const err = e instanceof Error ? e : new Error(String(e));
  return {
    kind: 'finding',
    why: 'untyped',
    name: err.name,
    message: err.message.slice(0, 2000),
    stack: err.stack ?? '',
  };
}

async function run(m: RunMessage): Promise<FromWorker> {
  apply(m);
  const before = used();
  beginInput();
  const t0 = performance.now();
  let outcome: Outcome;
  try {
    await RUNNERS[reader](dir, current, m.variant);
    outcome = { kind: 'ok' };
  } catch (e) {
    outcome = classify(e);
  }
  const ms = performance.now() - t0;
  const alloc = takeAllocationRecord();
  const after = used();
  const grewBytes = Math.max(0, after - before);
  if (alloc.giant !== null) {
    outcome = {
      kind: 'finding',
      why: 'allocation',
      name: 'Allocation',
      message: `tried to allocate ${alloc.giant.bytes} bytes (${alloc.giant.what}; cap ${cap} bytes); the reader ended with ${outcome.kind === 'ok' ? 'success' : `${(outcome as { name: string }).name}`}`,
      stack: alloc.giant.stack,
    };
  } else if (grewBytes > cap) {
    outcome = {
      kind: 'finding',
      why: 'memory',
      name: 'Memory',
      message: `memory grew by ${grewBytes} bytes while reading one input, over the ${cap}-byte cap`,
      stack: '',
    };
  }
  if (after > baseline + cap) gc();
  return {
    type: 'done',
    seq: m.seq,
    outcome,
    ms,
    grewBytes,
    largestAlloc: alloc.largest,
  };
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'setup') {
    setup(m);
    port.postMessage({ type: 'ready' } satisfies FromWorker);
    return;
  }
  // One turn of the event loop first: an error thrown by work the reader left behind belongs to this input.
  void run(m).then((r) => setImmediate(() => port.postMessage(r)));
});
