/**
 * One fuzzing worker seen from the main thread: starts it (from the sources,
 * through tsx), sets a reader up, runs inputs under a watchdog, and starts a
 * fresh worker after a hang or a crash.
 */
import { Worker } from 'node:worker_threads';
import type { Mutant } from './strategies.js';
import type { DoneMessage, FromWorker, Outcome, SetupMessage } from './protocol.js';
import type { InputFiles, ReaderName } from './readers.js';

/** Heap limit of a worker: a reader that exceeds it kills the worker (a crash finding). */
const WORKER_HEAP_MB = 1024;
/** A watchdog timer this late (ms) means the main thread was busy: the worker gets another period. */
const LATE_MS = 250;

function startWorker(): Worker {
  const api = import.meta.resolve('tsx/esm/api');
  const url = new URL('./worker.ts', import.meta.url).href;
  const boot =
    `import(${JSON.stringify(api)})` +
    `.then((m) => { m.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(boot, {
    eval: true,
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    stdout: true,
    stderr: true,
  });
}

export interface RunResult {
  readonly outcome: Outcome;
  /** The worker died between inputs (an error thrown by work the previous input left behind): the outcome is the previous input's. */
  readonly previous?: boolean;
  readonly ms: number;
  readonly grewBytes: number;
  readonly largestAlloc: number;
}

export class WorkerHost {
  private worker: Worker | null = null;
  private setupMsg: SetupMessage | null = null;
  private seq = 0;
  private waiting: ((m: FromWorker | { type: 'died'; why: string }) => void) | null = null;
  /** Why the worker died while no input was running, if it did. */
  private idleDeath: string | null = null;

  constructor(
    private readonly timeoutMs: number,
    private readonly memCapBytes: number,
  ) {}

  private spawn(): Worker {
    const w = startWorker();
    w.stdout.resume();
    w.stderr.resume();
    // Events of a worker already replaced are ignored.
    w.on('message', (m: FromWorker) => {
      if (this.worker === w) this.deliver(m);
    });
    w.on('error', (e: Error) => {
      if (this.worker === w) this.deliver({ type: 'died', why: `${e.name}: ${e.message}` });
    });
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = null;
      this.deliver({ type: 'died', why: `the worker exited with code ${code}` });
    });
    this.worker = w;
    return w;
  }

  private deliver(m: FromWorker | { type: 'died'; why: string }): void {
    const f = this.waiting;
    this.waiting = null;
    if (f === null && m.type === 'died') this.idleDeath ??= m.why;
    f?.(m);
  }

  private request(
    send: () => void,
    timeoutMs: number,
  ): Promise<FromWorker | { type: 'died'; why: string } | { type: 'timeout' }> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout;
      let extended = false;
      const arm = (ms: number): void => {
        const due = performance.now() + ms;
        timer = setTimeout(() => {
          // An answer that arrived while this thread was busy is delivered first (poll before check).
          setImmediate(() => {
            if (this.waiting !== waiter) return;
            // A timer that fired late means this thread, not the worker, was held up: wait once more.
            if (!extended && performance.now() - due > LATE_MS) {
              extended = true;
              arm(ms);
              return;
            }
            this.waiting = null;
            resolve({ type: 'timeout' });
          });
        }, ms);
      };
      const waiter = (m: FromWorker | { type: 'died'; why: string }): void => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiting = waiter;
      arm(timeoutMs);
      send();
    });
  }

  /** Prepares the reader's folder with the base seed's files (a fresh worker if needed). */
  async setup(reader: ReaderName, dir: string, base: InputFiles): Promise<void> {
    this.setupMsg = { type: 'setup', reader, dir, base, memCapBytes: this.memCapBytes };
    await this.ensure();
  }

  private async ensure(): Promise<void> {
    const msg = this.setupMsg;
    if (msg === null) throw new Error('setup first');
    for (let attempt = 0; attempt < 3; attempt++) {
      const w = this.worker ?? this.spawn();
      // Startup loads tfjs and the readers: allow it a minute.
      const r = await this.request(() => w.postMessage(msg), 60_000);
      if (r.type === 'ready') return;
      await this.kill();
    }
    throw new Error(`the fuzzing worker for ${msg.reader} does not start`);
  }

  private async kill(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.waiting = null;
    this.idleDeath = null;
    if (w !== null) await w.terminate();
  }

  /** Runs one input; a hang or a crash is a finding and leaves a fresh worker ready. */
  async run(m: Mutant): Promise<RunResult> {
    if (this.idleDeath !== null) {
      const why = this.idleDeath;
      this.idleDeath = null;
      await this.kill();
      await this.ensure();
      return {
        outcome: {
          kind: 'finding',
          why: 'crash',
          name: 'Crash',
          message: `after the input: ${why}`,
          stack: '',
        },
        previous: true,
        ms: 0,
        grewBytes: 0,
        largestAlloc: 0,
      };
    }
    if (this.worker === null) await this.ensure();
    const w = this.worker as Worker;
    const seq = ++this.seq;
    const t0 = performance.now();
    const r = await this.request(
      () =>
        w.postMessage({
          type: 'run',
          seq,
          write: m.write,
          remove: m.remove,
          variant: m.variant,
        }),
      this.timeoutMs,
    );
    if (r.type === 'done' && (r as DoneMessage).seq === seq) {
      const d = r as DoneMessage;
      return { outcome: d.outcome, ms: d.ms, grewBytes: d.grewBytes, largestAlloc: d.largestAlloc };
    }
    const ms = performance.now() - t0;
    await this.kill();
    await this.ensure();
    const hang = r.type === 'timeout';
    return {
      outcome: {
        kind: 'finding',
        why: hang ? 'hang' : 'crash',
        name: hang ? 'Hang' : 'Crash',
        message: hang
          ? `no answer within ${this.timeoutMs} ms; the worker was terminated`
          : (r as { why: string }).why,
        stack: '',
      },
      ms,
      grewBytes: 0,
      largestAlloc: 0,
    };
  }

  async close(): Promise<void> {
    await this.kill();
  }
}
