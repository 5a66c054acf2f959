/**
 * A progress display for long-running commands, on stderr so stdout stays
 * clean for results. On an interactive terminal it is a cli-progress bar
 * redrawn in place; when stderr is not a TTY or CI is set (CI=true), it
 * degrades to plain lines printed at most every `intervalMs` (and at the
 * end), which read well in logs.
 */
import cliProgress from 'cli-progress';

export interface ProgressOptions {
  /** Total units of work (e.g. training steps). */
  readonly total: number;
  /** Shown before the bar, e.g. "train". */
  readonly label?: string;
  /** Unit name in plain lines, e.g. "step". */
  readonly unit?: string;
  /** Where to draw (default process.stderr). */
  readonly stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Environment consulted for CI (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Plain mode: least milliseconds between two lines (default 5000). */
  readonly intervalMs?: number;
  /** Clock in milliseconds (default Date.now). */
  readonly now?: () => number;
  /** Print nothing at all. */
  readonly quiet?: boolean;
}

export interface Progress {
  /** Sets the amount done and a free-form status text ("loss 0.31 | acc 91%"). */
  update(done: number, info?: string): void;
  /** Prints a line without breaking the bar. */
  log(line: string): void;
  /** Finishes the display (prints the final state in plain mode). */
  stop(): void;
}

/** True unless CI is unset, empty, "0" or "false". */
export function isCi(env: Readonly<Record<string, string | undefined>>): boolean {
  const v = env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0
    ? `${h}h${String(m).padStart(2, '0')}m`
    : m > 0
      ? `${m}m${String(sec).padStart(2, '0')}s`
      : `${sec}s`;
}

class PlainProgress implements Progress {
  private last = -Infinity;
  private printed = -1;
  private done = 0;
  private info = '';
  private readonly start: number;

  constructor(private readonly o: Required<Omit<ProgressOptions, 'quiet' | 'env'>>) {
    this.start = o.now();
  }

  private line(): string {
    const { total, label, unit } = this.o;
    const pct = total > 0 ? Math.floor((100 * this.done) / total) : 100;
    const elapsed = this.o.now() - this.start;
    const eta =
      this.done > 0 && this.done < total
        ? ` eta ${formatDuration((elapsed * (total - this.done)) / this.done)}`
        : '';
    const head = label ? `${label}: ` : '';
    return `${head}${unit} ${this.done}/${total} (${pct}%) ${formatDuration(elapsed)}${eta}${this.info ? ` | ${this.info}` : ''}\n`;
  }

  update(done: number, info = ''): void {
    this.done = done;
    this.info = info;
    const t = this.o.now();
    if (t - this.last >= this.o.intervalMs) {
      this.last = t;
      this.printed = done;
      this.o.stream.write(this.line());
    }
  }

  log(line: string): void {
    this.o.stream.write(line.endsWith('\n') ? line : `${line}\n`);
  }

  stop(): void {
    if (this.printed !== this.done) this.o.stream.write(this.line());
  }
}

class BarProgress implements Progress {
  private readonly bar: cliProgress.SingleBar;
  private readonly stream: NodeJS.WritableStream;

  constructor(o: Required<Omit<ProgressOptions, 'quiet' | 'env'>>) {
    this.stream = o.stream;
    const head = o.label ? `${o.label} ` : '';
    this.bar = new cliProgress.SingleBar(
      {
        stream: o.stream,
        format: `${head}|{bar}| {value}/{total} {percentage}% | {duration_formatted} eta {eta_formatted} | {info}`,
        barsize: 24,
        hideCursor: true,
        fps: 5,
        etaBuffer: 50,
        forceRedraw: true,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(o.total, 0, { info: '' });
  }

  update(done: number, info = ''): void {
    this.bar.update(done, { info });
  }

  log(line: string): void {
    // Clear the bar's line, print, and draw the bar again below.
    this.stream.write(`\r\x1b[K${line.endsWith('\n') ? line : `${line}\n`}`);
    this.bar.render();
  }

  stop(): void {
    this.bar.stop();
  }
}

class Silent implements Progress {
  update(): void {}
  log(): void {}
  stop(): void {}
}

export function createProgress(opts: ProgressOptions): Progress {
  if (opts.quiet) return new Silent();
  const stream = opts.stream ?? process.stderr;
  const o = {
    total: opts.total,
    label: opts.label ?? '',
    unit: opts.unit ?? 'step',
    stream,
    intervalMs: opts.intervalMs ?? 5000,
    now: opts.now ?? Date.now,
  };
  const tty = stream.isTTY === true && !isCi(opts.env ?? process.env);
  return tty ? new BarProgress(o) : new PlainProgress(o);
}
