/**
 * The fuzzing loop: builds the seeds, then for each reader (on `jobs`
 * workers at once) replays every seed unmutated and runs `count` mutated
 * inputs, each under the watchdog and the memory checks, recording findings.
 */
import { join } from 'node:path';
import { hashString } from '../src/random.js';
import { FindingStore, inputFiles } from './findings.js';
import { WorkerHost } from './host.js';
import { LAYOUTS, type ReaderName } from './readers.js';
import { Rng } from './rng.js';
import { buildSeeds, type Seed } from './seeds.js';
import type { Outcome } from './protocol.js';
import { makeInput, type Mutant } from './strategies.js';

/** Inputs slower than this are noted (and saved) as slow. */
const SLOW_MS = 1000;

export interface FuzzConfig {
  readonly readers: readonly ReaderName[];
  /** Inputs per reader, seeds included. */
  readonly count: number;
  readonly seed: number;
  /** Workers running at once (one reader each). */
  readonly jobs: number;
  readonly timeoutMs: number;
  readonly memCapBytes: number;
  /** Private scratch folder (the caller removes it). */
  readonly tmpRoot: string;
  /** Where findings' inputs are saved; null saves none. */
  readonly findingsDir: string | null;
  readonly onStart?: (reader: ReaderName, total: number) => void;
  readonly onInput?: (reader: ReaderName, stats: ReaderStats) => void;
  readonly shouldStop?: () => boolean;
}

export interface ReaderStats {
  readonly reader: ReaderName;
  inputs: number;
  ok: number;
  typed: number;
  findings: number;
  slowestMs: number;
  /** Largest memory growth over one input, bytes. */
  peakBytes: number;
  /** Largest single allocation, bytes. */
  largestAlloc: number;
  /** Typed errors by class name. */
  readonly typedByName: Record<string, number>;
}

export interface FuzzResult {
  readonly stats: ReaderStats[];
  readonly findings: FindingStore;
  readonly stopped: boolean;
}

/** The unmutated seed `seed` as an input relative to the base seed. */
function seedInput(base: Seed, seed: Seed, variant: number): Mutant {
  const write: Record<string, Uint8Array> = {};
  for (const [name, bytes] of Object.entries(seed.files))
    if (base.files[name] !== bytes) write[name] = bytes;
  const remove = Object.keys(base.files).filter((n) => seed.files[n] === undefined);
  return { write, remove, variant };
}

async function fuzzReader(
  c: FuzzConfig,
  host: WorkerHost,
  reader: ReaderName,
  seeds: readonly Seed[],
  dir: string,
  store: FindingStore,
): Promise<ReaderStats> {
  const stats: ReaderStats = {
    reader,
    inputs: 0,
    ok: 0,
    typed: 0,
    findings: 0,
    slowestMs: 0,
    peakBytes: 0,
    largestAlloc: 0,
    typedByName: {},
  };
  c.onStart?.(reader, c.count);
  await host.setup(reader, dir, seeds[0].files);
  const rng = new Rng(c.seed, hashString(reader));
  const variants = LAYOUTS[reader].variants;
  const replays: Mutant[] = [];
  for (const s of seeds) for (let v = 0; v < variants; v++) replays.push(seedInput(seeds[0], s, v));
  let previous: Mutant | null = null;
  let previousKind: Outcome['kind'] | null = null;
  for (let i = 0; i < c.count; i++) {
    if (c.shouldStop?.() === true) break;
    const isSeed = i < replays.length;
    const m = isSeed ? replays[i] : makeInput(reader, rng, seeds);
    let r = await host.run(m);
    if (r.previous === true && r.outcome.kind === 'finding') {
      // The previous input moves from its category to the findings.
      if (previousKind === 'ok') stats.ok--;
      else if (previousKind === 'typed') stats.typed--;
      if (previousKind !== 'finding') stats.findings++;
      if (previous !== null)
        store.add(reader, r.outcome, dir, inputFiles(seeds[0].files, previous), {
          seed: c.seed,
          index: i - 1,
          variant: previous.variant,
        });
      r = await host.run(m);
    }
    previous = m;
    stats.inputs++;
    stats.slowestMs = Math.max(stats.slowestMs, r.ms);
    stats.peakBytes = Math.max(stats.peakBytes, r.grewBytes);
    stats.largestAlloc = Math.max(stats.largestAlloc, r.largestAlloc);
    let outcome = r.outcome;
    if (isSeed && outcome.kind === 'typed')
      outcome = {
        kind: 'finding',
        why: 'seed',
        name: outcome.name,
        message: `a valid seed was refused: ${outcome.message}`,
        stack: '',
      };
    const info = { seed: c.seed, index: i, variant: m.variant };
    if (r.ms > SLOW_MS)
      store.add(
        reader,
        {
          kind: 'finding',
          why: 'slow',
          name: 'Slow',
          message: `took ${r.ms.toFixed(0)} ms`,
          stack: '',
        },
        dir,
        inputFiles(seeds[0].files, m),
        info,
      );
    if (outcome.kind === 'ok') stats.ok++;
    else if (outcome.kind === 'typed') {
      stats.typed++;
      stats.typedByName[outcome.name] = (stats.typedByName[outcome.name] ?? 0) + 1;
      if (outcome.problem !== undefined)
        store.add(
          reader,
          {
            kind: 'finding',
            why: 'message',
            name: outcome.name,
            message: `the message ${outcome.problem}: ${outcome.message.slice(0, 300)}`,
            stack: outcome.stack ?? '',
          },
          dir,
          inputFiles(seeds[0].files, m),
          info,
        );
    } else {
      stats.findings++;
      store.add(reader, outcome, dir, inputFiles(seeds[0].files, m), info);
    }
    previousKind = outcome.kind;
    c.onInput?.(reader, stats);
  }
  return stats;
}

export async function runFuzz(c: FuzzConfig): Promise<FuzzResult> {
  const seeds = await buildSeeds(c.readers, join(c.tmpRoot, 'seeds'), c.seed);
  const store = new FindingStore(c.findingsDir);
  const queue = [...c.readers];
  const done = new Map<ReaderName, ReaderStats>();
  const job = async (j: number): Promise<void> => {
    const host = new WorkerHost(c.timeoutMs, c.memCapBytes);
    try {
      for (let reader = queue.shift(); reader !== undefined; reader = queue.shift()) {
        if (c.shouldStop?.() === true) break;
        const dir = join(c.tmpRoot, `w${j}`, reader);
        done.set(reader, await fuzzReader(c, host, reader, seeds.get(reader) ?? [], dir, store));
      }
    } finally {
      await host.close();
    }
  };
  const jobs = Math.max(1, Math.min(c.jobs, c.readers.length));
  await Promise.all(Array.from({ length: jobs }, (_, j) => job(j)));
  return {
    stats: c.readers.filter((r) => done.has(r)).map((r) => done.get(r) as ReaderStats),
    findings: store,
    stopped: c.shouldStop?.() === true,
  };
}
