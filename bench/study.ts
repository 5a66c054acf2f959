/**
 * npm run bench:study [-- --batch 64 --every 50 --rounds 3 --block 10 --records 2 --models a,b]
 *
 * What the sparsity study costs a training run. For each network, rounds of
 * three interleaved blocks of --block training steps on the same kind of
 * MNIST batches, so all three see the same machine on a shared box:
 * - off: the recorder attached but not recording (what non-recorded steps pay);
 * - worker: --records of the block's steps recorded, measured on the worker
 *   thread (the study's default), waiting for the measurements at the end;
 * - inline: the same, measured on the training thread (--no-threads).
 * Reported per network and mode (medians over the rounds): the step time
 * with recording off, the extra wall time per recorded step ((block -
 * off block) / records), and what that costs at --every K: extra / (K x
 * step). CPU time (all threads) is reported beside it: the worker only helps
 * when a core is free for it. Prints a table and writes
 * bench/results/study.json.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { loadDataset } from '../src/data/prepare.js';
import { initBackend } from '../src/nn/backend.js';
import { Executor } from '../src/nn/executor.js';
import { KeepStore } from '../src/nn/keep-store.js';
import type { SavedTensorStore } from '../src/nn/store.js';
import { analyzeModel } from '../src/nn/shapes.js';
import { getModel } from '../src/nn/zoo/index.js';
import { epochOrder, gather } from '../src/train/batches.js';
import { Sgd } from '../src/train/sgd.js';
import { InlineMeasureService, WorkerMeasureService } from '../src/study/measure-service.js';
import { StepRecorder, type RecordedStep } from '../src/study/recorder.js';
import { prepareOutputDir, writeOutput } from '../src/io/write.js';

interface Options {
  batch: number;
  every: number;
  rounds: number;
  block: number;
  records: number;
  models: string[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    batch: 64,
    every: 50,
    rounds: 3,
    block: 10,
    records: 2,
    models: ['alexnet-small', 'squeezenet-small'],
  };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === '--batch') o.batch = Number(v);
    else if (argv[i] === '--every') o.every = Number(v);
    else if (argv[i] === '--rounds') o.rounds = Number(v);
    else if (argv[i] === '--block') o.block = Number(v);
    else if (argv[i] === '--records') o.records = Number(v);
    else if (argv[i] === '--models') o.models = v.split(',');
    else if (argv[i] === '--help') {
      console.log(
        'usage: npm run bench:study -- [--batch 64] [--every 50] [--rounds 3] [--block 10] [--records 2] [--models a,b]',
      );
      process.exit(0);
    } else continue;
    i++;
  }
  if (!(o.batch >= 1 && o.every >= 1 && o.rounds >= 1))
    throw new Error('--batch, --every and --rounds must be positive');
  if (!(o.block >= 1 && o.records >= 1 && o.records <= o.block))
    throw new Error('--block must be positive and --records from 1 to --block');
  return o;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

type Mode = 'off' | 'worker' | 'inline';

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  await initBackend('wasm');
  const dataset = loadDataset('mnist');
  const [c, h, w] = dataset.shape;
  const size = c * h * w;
  const order = epochOrder(dataset.train.count, 1, 0);
  const config = { zlibLevel: 6, zlibSampleImages: 4 };
  const worker = await WorkerMeasureService.start(config);
  const inline = new InlineMeasureService(config);
  const rows: Record<string, unknown>[] = [];
  try {
    for (const name of o.models) {
      const spec = getModel(name, { inputShape: dataset.shape, numClasses: dataset.numClasses });
      const analysis = analyzeModel(spec);
      const recorders: Record<Exclude<Mode, 'off'>, StepRecorder> = {
        worker: new StepRecorder(analysis, worker, { maxMapLayers: 0, mapChannels: 1 }),
        inline: new StepRecorder(analysis, inline, { maxMapLayers: 0, mapChannels: 1 }),
      };
      let active: StepRecorder = recorders.worker;
      // Every store below keeps its tensors in `keep`, so switching between them at block boundaries is safe.
      const keep = new KeepStore();
      const wrapped = { worker: recorders.worker.wrap(keep), inline: recorders.inline.wrap(keep) };
      let current: SavedTensorStore = keep;
      const exec = Executor.create(spec, {
        seed: 1,
        store: {
          pack: (t, info) => current.pack(t, info),
          unpack: (hd) => current.unpack(hd),
          release: (hd) => current.release(hd),
        },
        observer: {
          onForwardOutput: (i, sp, t, st) => active.observer.onForwardOutput(i, sp, t, st),
        },
      });
      const sgd = new Sgd({ lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
      let step = 0;
      const recordAt = new Set(
        Array.from({ length: o.records }, (_, r) => Math.floor((r * o.block) / o.records)),
      );
      const block = async (mode: Mode): Promise<{ wall: number; cpu: number }> => {
        const w0 = performance.now();
        const c0 = cpuMs();
        const pending: Promise<RecordedStep>[] = [];
        if (mode !== 'off') active = recorders[mode];
        current = mode === 'off' ? keep : wrapped[mode];
        for (let k = 0; k < o.block; k++, step++) {
          const record = mode !== 'off' && recordAt.has(k);
          if (record) active.begin(step, false);
          const j = step % Math.floor(dataset.train.count / o.batch);
          const b = gather(dataset.train, size, order.subarray(j * o.batch, (j + 1) * o.batch));
          const x = tf.tensor4d(b.images, [o.batch, h, w, c]);
          await exec.trainStep(x, b.labels, step);
          x.dispose();
          sgd.step(exec.params);
          if (record) pending.push(active.end());
        }
        await Promise.all(pending);
        active.takeMainMs();
        return { wall: performance.now() - w0, cpu: cpuMs() - c0 };
      };
      await block('off'); // warm-up
      const extra: Record<Exclude<Mode, 'off'>, { wall: number[]; cpu: number[] }> = {
        worker: { wall: [], cpu: [] },
        inline: { wall: [], cpu: [] },
      };
      const offStep: number[] = [];
      for (let r = 0; r < o.rounds; r++) {
        const off = await block('off');
        offStep.push(off.wall / o.block);
        for (const mode of ['worker', 'inline'] as const) {
          const t = await block(mode);
          extra[mode].wall.push((t.wall - off.wall) / o.records);
          extra[mode].cpu.push((t.cpu - off.cpu) / o.records);
        }
      }
      const stepMs = median(offStep);
      for (const mode of ['worker', 'inline'] as const) {
        const wall = median(extra[mode].wall);
        rows.push({
          model: name,
          mode,
          stepMs,
          extraWallMsPerRecord: wall,
          extraCpuMsPerRecord: median(extra[mode].cpu),
          overheadAt10: wall / (10 * stepMs),
          overheadAtEvery: wall / (o.every * stepMs),
        });
      }
      sgd.dispose();
      exec.dispose();
    }
  } finally {
    await worker.close();
  }
  const pct = (x: unknown) => `${(100 * (x as number)).toFixed(1)}%`;
  const ms = (x: unknown) => (x as number).toFixed(0);
  console.log(
    `\nbatch ${o.batch}; ${o.rounds} rounds of ${o.block}-step blocks (off, worker, inline), ${o.records} recorded steps per block; medians\n`,
  );
  console.log(
    `| network | measured on | step ms (off) | extra wall ms per recorded step | extra CPU ms per recorded step | cost at --every 10 | cost at --every ${o.every} |`,
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${String(r.model)} | ${String(r.mode)} | ${ms(r.stepMs)} | ${ms(r.extraWallMsPerRecord)} | ${ms(r.extraCpuMsPerRecord)} | ${pct(r.overheadAt10)} | ${pct(r.overheadAtEvery)} |`,
    );
  }
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'study.json');
  prepareOutputDir(dirname(out), 'results folder');
  writeOutput(out, `${JSON.stringify({ options: o, rows }, null, 1)}\n`);
  console.log(`\nwrote ${out}`);
}

await main();
