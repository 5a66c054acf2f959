/**
 * npm run bench:vmem [-- --batches 16,64 --codecs none,zvc --steps 6 --models alexnet-small,...
 *                        --paper-batch 16 --skip-overhead --skip-paper]
 *
 * The memory manager against its limits, measured in one process:
 * (a) overhead: policy all on an unlimited link, for each codec (none =
 *     vDNN, zvc = cDMA) and each batch, against the oracle (the executor's
 *     own store), steps interleaved so all see the same machine load; the
 *     overhead is the median over steps of each step's time over the
 *     oracle's step next to it. Target: at most 5% median, 8% worst.
 * (b) paper-scaled: this machine's forward-conv rate sets the link so that
 *     compute / bandwidth equals a Titan Xp on PCIe gen3; oracle, vDNN
 *     (all, codec none) and cDMA (all, zvc) per scaled network, interleaved
 *     step by step; cDMA's speed-up over vDNN; and overlap efficiency =
 *     ideal / measured, where ideal is the sum over layers of
 *     max(compute, transfer) in both passes (stats.idealStepMs) and
 *     measured the manager's forward + backward time. Target: >= 0.9.
 * Step times are medians over the steps after the first. Prints tables and
 * writes bench/results/vmem.json.
 */
import { loadavg as osLoadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/nn/backend.js';
import { Executor } from '../src/nn/executor.js';
import type { ModelSpec } from '../src/nn/spec.js';
import { getModel, listModels } from '../src/nn/zoo/index.js';
import { Sgd } from '../src/train/sgd.js';
import type { SavedHandle, SavedTensorInfo, SavedTensorStore } from '../src/nn/store.js';
import { measureComputeRate } from '../src/memory/calibrate.js';
import { DEFAULT_MEMORY_CONFIG, type MemoryConfig } from '../src/memory/config.js';
import { formatBandwidth, LINK_PRESETS, paperScaledLink } from '../src/memory/link.js';
import { MemoryManager } from '../src/memory/manager.js';
import { idealStepMs, median } from '../src/memory/stats.js';
import { prepareOutputDir, writeOutput } from '../src/io/write.js';

interface Options {
  batch: number;
  batches: number[];
  codecs: string[];
  steps: number;
  models: string[];
  overhead: boolean;
  paper: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    batch: 16,
    batches: [16, 64],
    codecs: ['none', 'zvc'],
    steps: 6,
    models: listModels()
      .map((m) => m.name)
      .filter((n) => n.endsWith('-small')),
    overhead: true,
    paper: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === '--paper-batch' || argv[i] === '--batch') o.batch = Number(v);
    else if (argv[i] === '--batches') o.batches = v.split(',').map(Number);
    else if (argv[i] === '--codecs') o.codecs = v.split(',');
    else if (argv[i] === '--steps') o.steps = Number(v);
    else if (argv[i] === '--models') o.models = v.split(',');
    else if (argv[i] === '--skip-overhead') {
      o.overhead = false;
      continue;
    } else if (argv[i] === '--skip-paper') {
      o.paper = false;
      continue;
    } else if (argv[i] === '--help') {
      console.log(
        'usage: npm run bench:vmem -- [--batches 16,64] [--codecs none,zvc] [--paper-batch N (16)] [--steps N (6)] [--models a,b (every -small)] [--skip-overhead] [--skip-paper]',
      );
      process.exit(0);
    } else continue;
    i++;
  }
  if (!(o.batch >= 1 && o.steps >= 2 && o.batches.every((b) => b >= 1)))
    throw new Error('batches must be >= 1 and --steps >= 2');
  return o;
}

/**
 * The manager behind a proxy that adds up the compute thread's time inside
 * its calls (hooks, pack, unpack, release; awaited waits included): the
 * manager's own cost per step, which other processes' load barely moves.
 */
class TimedStore implements SavedTensorStore {
  ms = 0;
  constructor(readonly m: MemoryManager) {}
  private time<T>(f: () => T): T {
    const t0 = performance.now();
    const r = f();
    if (r instanceof Promise) {
      return r.finally(() => (this.ms += performance.now() - t0)) as T;
    }
    this.ms += performance.now() - t0;
    return r;
  }
  beginStep = (s: number) => this.time(() => this.m.beginStep(s));
  endStep = (s: number) => this.time(() => this.m.endStep(s));
  beginForward = (i: number) => this.time(() => this.m.beginForward(i));
  endForward = (i: number) => this.time(() => this.m.endForward(i));
  beginBackward = (i: number) => this.time(() => this.m.beginBackward(i));
  endBackward = (i: number) => this.time(() => this.m.endBackward(i));
  pack = (t: tf.Tensor, info: SavedTensorInfo): SavedHandle =>
    this.time(() => this.m.pack(t, info));
  unpack = (h: SavedHandle) => this.time(() => this.m.unpack(h));
  release = (h: SavedHandle) => this.time(() => this.m.release(h));
}

/** One training setup: an executor with (or without) a manager, stepped on a fixed batch. */
class Runner {
  readonly stepMs: number[] = [];
  /** Compute-thread time inside the manager, per step. */
  readonly managerMs: number[] = [];
  private constructor(
    readonly name: string,
    readonly exec: Executor,
    readonly sgd: Sgd,
    readonly manager: MemoryManager | undefined,
    readonly timed: TimedStore | undefined,
    readonly x: tf.Tensor4D,
    readonly labels: Int32Array,
  ) {}

  static async create(
    name: string,
    spec: ModelSpec,
    batch: number,
    config?: MemoryConfig,
  ): Promise<Runner> {
    const manager = config ? await MemoryManager.create({ config, spec, batch }) : undefined;
    const timed = manager ? new TimedStore(manager) : undefined;
    const exec = Executor.create(spec, { seed: 1, store: timed });
    const input = spec.layers[0];
    if (input.kind !== 'input') throw new Error('no input layer');
    const [c, h, w] = input.shape;
    const x = tf.randomNormal([batch, h, w, c], 0, 1, 'float32', 3) as tf.Tensor4D;
    const labels = new Int32Array(batch).map((_, i) => i % spec.numClasses);
    return new Runner(name, exec, new Sgd({ lr: 0.01, momentum: 0.9 }), manager, timed, x, labels);
  }

  async step(i: number): Promise<void> {
    const t0 = performance.now();
    const m0 = this.timed?.ms ?? 0;
    await this.exec.trainStep(this.x, this.labels, i);
    this.sgd.step(this.exec.params);
    this.stepMs.push(performance.now() - t0);
    this.managerMs.push((this.timed?.ms ?? 0) - m0);
  }

  /** Median step time, the first (warm-up) step excluded. */
  get medianMs(): number {
    return median(this.stepMs.slice(1));
  }

  /** Median compute-thread time inside the manager per step, the first excluded. */
  get medianManagerMs(): number {
    return median(this.managerMs.slice(1));
  }

  async dispose(): Promise<void> {
    this.sgd.dispose();
    this.exec.dispose();
    this.x.dispose();
    await this.manager?.close();
  }
}

async function interleaved(runners: Runner[], steps: number): Promise<void> {
  for (let i = 0; i < steps; i++) for (const r of runners) await r.step(i);
}

const cfg = (over: Partial<MemoryConfig>): MemoryConfig => ({ ...DEFAULT_MEMORY_CONFIG, ...over });
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

const loadavg = (): string =>
  osLoadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** Median over steps (the first excluded) of each step's time over the oracle's step beside it. */
function pairedOverhead(r: Runner, oracle: Runner): number {
  const ratios = r.stepMs.slice(1).map((ms, i) => ms / oracle.stepMs[i + 1]);
  return median(ratios) - 1;
}

async function overhead(o: Options, batch: number) {
  console.log(
    `\n(a) manager overhead, policy all on an unlimited link, batch ${batch}, codecs ${o.codecs.join(', ')} ` +
      `(median over ${o.steps - 1} steps of step / oracle step beside it; in-manager = compute-thread time inside the manager's calls over the oracle step)`,
  );
  console.log(
    'model               oracle ms ' +
      o.codecs.map((c) => `${c.padStart(5)} ms  overhead  in-mgr  stall  copies`).join('  ') +
      '  load',
  );
  const rows: { codecs: { overhead: number; inManager: number }[] }[] = [];
  for (const name of o.models) {
    const spec = getModel(name);
    const oracle = await Runner.create('oracle', spec, batch);
    const managed = [];
    for (const c of o.codecs)
      managed.push(
        await Runner.create(
          c,
          spec,
          batch,
          cfg({ policy: 'all', codec: { id: c }, link: LINK_PRESETS.unlimited }),
        ),
      );
    try {
      await interleaved([oracle, ...managed], o.steps);
      const per = managed.map((m) => {
        const st = m.manager!.steps.slice(1);
        return {
          codec: m.name,
          ms: m.medianMs,
          overhead: pairedOverhead(m, oracle),
          inManager: m.medianManagerMs / oracle.medianMs,
          stallMs: median(st.map((s) => s.stallMs)),
          copyMs: median(st.map((s) => s.layers.reduce((a, l) => a + l.copyOutMs + l.copyInMs, 0))),
          offloadedBytes: median(st.map((s) => s.offloadedRawBytes)),
          linkBytes: median(st.map((s) => s.offloadedLinkBytes)),
        };
      });
      const row = { model: name, batch, oracleMs: oracle.medianMs, codecs: per, load: loadavg() };
      rows.push(row);
      console.log(
        `${name.padEnd(18)} ${row.oracleMs.toFixed(1).padStart(10)} ` +
          per
            .map(
              (p) =>
                `${p.ms.toFixed(1).padStart(8)} ${pct(p.overhead).padStart(9)} ${pct(p.inManager).padStart(7)} ${p.stallMs.toFixed(1).padStart(6)} ${p.copyMs.toFixed(1).padStart(7)}`,
            )
            .join('  ') +
          `  ${row.load}`,
      );
    } finally {
      for (const r of [oracle, ...managed]) await r.dispose();
    }
  }
  const summary = Object.fromEntries(
    o.codecs.map((c, i) => {
      const ov = rows.map((r) => r.codecs[i].overhead);
      const im = rows.map((r) => r.codecs[i].inManager);
      return [
        c,
        {
          medianOverhead: median(ov),
          worstOverhead: Math.max(...ov),
          medianInManager: median(im),
          worstInManager: Math.max(...im),
        },
      ];
    }),
  );
  for (const [c, v] of Object.entries(summary))
    console.log(
      `batch ${batch}, codec ${c}: overhead median ${pct(v.medianOverhead)}, worst ${pct(v.worstOverhead)} ` +
        `(target 5% / 8%); in-manager median ${pct(v.medianInManager)}, worst ${pct(v.worstInManager)}`,
    );
  return { batch, rows, summary, target: { median: 0.05, worst: 0.08 } };
}

async function paper(o: Options) {
  const rate = (await measureComputeRate(7)).flopsPerSecond;
  const link = paperScaledLink(rate);
  console.log(
    `\n(b) paper-scaled link: this machine ${(rate / 1e9).toFixed(1)} GFLOP/s forward conv -> link ${formatBandwidth(link)} ` +
      `(Titan Xp 12 TFLOP/s : PCIe3 12.8 GB/s); policy all, batch ${o.batch}, median of ${o.steps - 1} steps`,
  );
  console.log(
    'model               oracle ms   vDNN ms   cDMA ms  vDNN/oracle  cDMA/oracle  cDMA speed-up  ratio  overlap vDNN  overlap cDMA  cDMA ideal ms  cDMA/ideal  load',
  );
  const rows = [];
  for (const name of o.models) {
    const spec = getModel(name);
    const oracle = await Runner.create('oracle', spec, o.batch);
    const vdnn = await Runner.create(
      'vDNN',
      spec,
      o.batch,
      cfg({ policy: 'all', codec: { id: 'none' }, link }),
    );
    const cdma = await Runner.create(
      'cDMA',
      spec,
      o.batch,
      cfg({ policy: 'all', codec: { id: 'zvc' }, link }),
    );
    try {
      await interleaved([oracle, vdnn, cdma], o.steps);
      const eff = (r: Runner) => {
        const steps = r.manager!.steps.slice(1);
        return median(steps.map((s) => idealStepMs(s) / (s.forwardMs + s.backwardMs)));
      };
      const st = cdma.manager!.steps.slice(1);
      /** The sum over layers of max(compute, compressed transfer), and the measured step over it. */
      const idealMs = median(st.map((s) => idealStepMs(s)));
      const overIdeal = median(st.map((s) => (s.forwardMs + s.backwardMs) / idealStepMs(s)));
      const raw = st.reduce((a, s) => a + s.offloadedRawBytes, 0);
      const lnk = st.reduce((a, s) => a + s.offloadedLinkBytes, 0);
      const row = {
        model: name,
        oracleMs: oracle.medianMs,
        vdnnMs: vdnn.medianMs,
        cdmaMs: cdma.medianMs,
        vdnnRelative: oracle.medianMs / vdnn.medianMs,
        cdmaRelative: oracle.medianMs / cdma.medianMs,
        cdmaSpeedup: vdnn.medianMs / cdma.medianMs,
        ratio: raw / lnk,
        overlapVdnn: eff(vdnn),
        overlapCdma: eff(cdma),
        cdmaIdealMs: idealMs,
        cdmaOverIdeal: overIdeal,
        load: loadavg(),
      };
      rows.push(row);
      console.log(
        `${name.padEnd(18)} ${row.oracleMs.toFixed(0).padStart(10)} ${row.vdnnMs.toFixed(0).padStart(9)} ${row.cdmaMs.toFixed(0).padStart(9)} ` +
          `${row.vdnnRelative.toFixed(2).padStart(12)} ${row.cdmaRelative.toFixed(2).padStart(12)} ${(row.cdmaSpeedup.toFixed(2) + 'x').padStart(14)} ` +
          `${(row.ratio.toFixed(2) + 'x').padStart(6)} ${row.overlapVdnn.toFixed(3).padStart(13)} ${row.overlapCdma.toFixed(3).padStart(13)}` +
          `${row.cdmaIdealMs.toFixed(0).padStart(15)} ${row.cdmaOverIdeal.toFixed(3).padStart(11)}  ${row.load}`,
      );
    } finally {
      for (const r of [oracle, vdnn, cdma]) await r.dispose();
    }
  }
  const summary = {
    medianCdmaSpeedup: median(rows.map((r) => r.cdmaSpeedup)),
    maxCdmaSpeedup: Math.max(...rows.map((r) => r.cdmaSpeedup)),
    medianVdnnRelative: median(rows.map((r) => r.vdnnRelative)),
    medianCdmaRelative: median(rows.map((r) => r.cdmaRelative)),
    minOverlap: Math.min(...rows.flatMap((r) => [r.overlapVdnn, r.overlapCdma])),
    medianOverlap: median(rows.flatMap((r) => [r.overlapVdnn, r.overlapCdma])),
    medianCdmaOverIdeal: median(rows.map((r) => r.cdmaOverIdeal)),
    worstCdmaOverIdeal: Math.max(...rows.map((r) => r.cdmaOverIdeal)),
  };
  console.log(
    `cDMA over vDNN: median ${summary.medianCdmaSpeedup.toFixed(2)}x, max ${summary.maxCdmaSpeedup.toFixed(2)}x; ` +
      `performance vs oracle: vDNN ${summary.medianVdnnRelative.toFixed(2)}, cDMA ${summary.medianCdmaRelative.toFixed(2)} (medians); ` +
      `overlap efficiency min ${summary.minOverlap.toFixed(3)}, median ${summary.medianOverlap.toFixed(3)}; ` +
      `cDMA step / ideal overlap: median ${summary.medianCdmaOverIdeal.toFixed(3)}, worst ${summary.worstCdmaOverIdeal.toFixed(3)} (target <= 1.05)`,
  );
  return { computeFlopsPerSecond: rate, link, rows, summary };
}

const o = parseArgs(process.argv.slice(2));
await initBackend('wasm');
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  loadBefore: loadavg(),
  batches: o.batches,
  codecs: o.codecs,
  paperBatch: o.batch,
  steps: o.steps,
  models: o.models,
};
if (o.overhead) {
  const per = [];
  for (const b of o.batches) per.push(await overhead(o, b));
  results.overhead = per;
}
if (o.paper) results.paperScaled = await paper(o);
results.loadAfter = loadavg();
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'vmem.json');
prepareOutputDir(dirname(out), 'results folder');
writeOutput(out, JSON.stringify(results, null, 2) + '\n');
console.log(`\nwrote ${out}`);
