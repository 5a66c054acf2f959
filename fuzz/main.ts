/**
 * npm run fuzz [-- --reader NAME[,NAME]] [--count N] [--seed S] [--jobs J]
 *              [--timeout MS] [--findings DIR] [--replay DIR] [--no-progress]
 *
 * Mutation fuzzing of every reader cdma has (fuzz/readers.ts). Each input
 * must end in success or a CdmaError within the time limit and the memory
 * cap; anything else is a finding, saved under the findings folder (default
 * fuzz/findings, git-ignored) with a finding.json that replays it. Exits 1
 * when there are findings.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { runFuzz, type ReaderStats } from './engine.js';
import { WorkerHost } from './host.js';
import { findingsList, statsTable } from './report.js';
import { isReaderName, LAYOUTS, READERS, type ReaderName } from './readers.js';

const DEFAULT_FINDINGS = join(import.meta.dirname, 'findings');

function usage(message: string): never {
  process.stderr.write(`fuzz: ${message}\nreaders: ${READERS.join(', ')}\n`);
  process.exit(2);
}

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0)
    usage(`--${name} must be a non-negative integer, got '${text}'`);
  return n;
}

function readersOf(list: string[] | undefined): ReaderName[] {
  if (list === undefined || list.length === 0) return [...READERS];
  const out: ReaderName[] = [];
  for (const name of list
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!isReaderName(name)) usage(`unknown reader '${name}'`);
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

let tmpRoot: string | null = null;
function removeTmp(): void {
  if (tmpRoot !== null) rmSync(tmpRoot, { recursive: true, force: true });
  tmpRoot = null;
}

function walk(root: string, dir = root): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(root, p) : [relative(root, p)];
  });
}

async function replay(dir: string, timeoutMs: number, memCapBytes: number): Promise<number> {
  const info = JSON.parse(readFileSync(join(dir, 'finding.json'), 'utf8')) as {
    reader: string;
    variant: number;
  };
  if (!isReaderName(info.reader)) usage(`${dir}/finding.json names no known reader`);
  const reader = info.reader;
  const links = LAYOUTS[reader].links ?? {};
  const files: Record<string, Uint8Array> = {};
  for (const name of walk(join(dir, 'files')))
    if (!(name in links)) files[name] = new Uint8Array(readFileSync(join(dir, 'files', name)));
  const host = new WorkerHost(timeoutMs, memCapBytes);
  try {
    await host.setup(reader, join(tmpRoot as string, 'replay', reader), files);
    const r = await host.run({ write: {}, remove: [], variant: info.variant });
    process.stdout.write(
      `${reader} (variant ${info.variant}): ${JSON.stringify(r.outcome, null, 2)}\n${r.ms.toFixed(1)} ms\n`,
    );
    return r.outcome.kind === 'finding' ? 1 : 0;
  } finally {
    await host.close();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      reader: { type: 'string', multiple: true },
      count: { type: 'string' },
      seed: { type: 'string' },
      jobs: { type: 'string' },
      timeout: { type: 'string' },
      'mem-cap-mb': { type: 'string' },
      findings: { type: 'string' },
      replay: { type: 'string' },
      'no-progress': { type: 'boolean' },
    },
    strict: true,
  });
  const timeoutMs = positiveInt('timeout', values.timeout, 5000);
  const memCapBytes = positiveInt('mem-cap-mb', values['mem-cap-mb'], 256) * 1024 * 1024;
  tmpRoot = mkdtempSync(join(tmpdir(), 'cdma-fuzz-'));
  if (values.replay !== undefined) return replay(values.replay, timeoutMs, memCapBytes);

  const readers = readersOf(values.reader);
  const count = positiveInt('count', values.count, 100_000);
  const seed = positiveInt('seed', values.seed, 1);
  const jobs = positiveInt('jobs', values.jobs, Math.min(2, availableParallelism()));
  const findingsDir = values.findings ?? DEFAULT_FINDINGS;
  const tty = process.stderr.isTTY === true && values['no-progress'] !== true;

  let stop = false;
  process.on('SIGINT', () => {
    if (stop) {
      removeTmp();
      process.exit(130);
    }
    stop = true;
    process.stderr.write(
      '\nfuzz: stopping after the inputs in flight (Ctrl-C again to quit now)\n',
    );
  });

  const bars = tty
    ? new cliProgress.MultiBar(
        {
          format:
            '{reader} [{bar}] {value}/{total} | typed {typed} | findings {findings} | {eta_formatted}',
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  const barOf = new Map<ReaderName, cliProgress.SingleBar>();
  const lastLog = new Map<ReaderName, number>();
  const started = Date.now();
  process.stderr.write(
    `fuzz: ${readers.length} readers x ${count} inputs, seed ${seed}, ${jobs} workers, findings in ${findingsDir}\n`,
  );
  const result = await runFuzz({
    readers,
    count,
    seed,
    jobs,
    timeoutMs,
    memCapBytes,
    tmpRoot,
    findingsDir,
    shouldStop: () => stop,
    onStart: (reader, total) => {
      barOf.set(
        reader,
        bars?.create(total, 0, {
          reader: reader.padEnd(10),
          typed: 0,
          findings: 0,
        }) as cliProgress.SingleBar,
      );
    },
    onInput: (reader, s: ReaderStats) => {
      if (bars !== null) {
        if (s.inputs % 25 === 0 || s.inputs === count)
          barOf.get(reader)?.update(s.inputs, { typed: s.typed, findings: s.findings });
        return;
      }
      const step = Math.max(1, Math.floor(count / 10));
      if (s.inputs % step === 0 && lastLog.get(reader) !== s.inputs) {
        lastLog.set(reader, s.inputs);
        const min = ((Date.now() - started) / 60000).toFixed(1);
        process.stderr.write(
          `${reader}: ${s.inputs}/${count}, ${s.findings} findings (${min} min)\n`,
        );
      }
    },
  });
  bars?.stop();
  process.stdout.write(`\n${statsTable(result.stats)}\n`);
  const groups = result.findings.findings();
  const notes = result.findings.notes();
  if (notes.length > 0) {
    process.stdout.write(
      `\n${notes.length} distinct notes (not findings):\n${findingsList(notes)}\n`,
    );
  }
  if (groups.length > 0) {
    process.stdout.write(`\n${groups.length} distinct findings:\n${findingsList(groups)}\n`);
  }
  process.stdout.write(
    `\n${((Date.now() - started) / 1000).toFixed(0)} s${result.stopped ? ', stopped early' : ''}\n`,
  );
  if (result.stopped) return 130;
  return groups.length > 0 ? 1 : 0;
}

process.on('exit', removeTmp);
main().then(
  (code) => {
    removeTmp();
    process.exit(code);
  },
  (e: unknown) => {
    removeTmp();
    process.stderr.write(`fuzz: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);
