/**
 * npm run bench:study [-- --batch 64 --every 10 --rounds 3 --models alexnet-small,squeezenet-small]
 *
 * What the sparsity study costs a training run. For each network, rounds of
 * three interleaved blocks of 2 x --every training steps on the same MNIST
 * batches (so all three see the same machine, on a shared box):
 * - off: the recorder attached but not recording (what non-recorded steps pay);
 * - worker: recording every --every steps with the measurements on a worker
 *   thread (the study's default), waiting for them at the end of the block;
 * - inline: the same with the measurements on the training thread.
 * Reported per mode: wall ms per step and process CPU ms per step (all
 * threads), medians over the rounds, and the overhead against "off":
 * wall (what training takes longer) and CPU (the work added, which the
 * worker moves to a second core). Prints a table and writes
 * bench/results/study.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
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

interface Options {
  batch: number;
  every: number;
  rounds: number;
  models: string[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    batch: 64,
    every: 10,
    rounds: 3,
    models: ['alexnet-small', 'squeezenet-small'],
  };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === '--batch') o.batch = Number(v);
    else if (argv[i] === '--every') o.every = Number(v);
    else if (argv[i] === '--rounds') o.rounds = Number(v);
    else if (argv[i] === '--models') o.models = v.split(',');
    else if (argv[i] === '--help') {
      console.log(
        'usage: npm run bench:study -- [--batch 64] [--every 10] [--rounds 3] [--models a,b]',
      );
      process.exit(0);
    } else continue;
    i++;
  }
  if (!(o.batch >= 1 && o.every >= 1 && o.rounds >= 1))
    throw new Error('--batch, --every and --rounds must be positive');
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
  const config = { zlibLevel: 6, zlibSampleBytes: 262144 };
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
      const block = async (mode: Mode): Promise<{ wall: number; cpu: number }> => {
        const steps = 2 * o.every;
        const w0 = performance.now();
        const c0 = cpuMs();
        const pending: Promise<RecordedStep>[] = [];
        if (mode !== 'off') active = recorders[mode];
        current = mode === 'off' ? keep : wrapped[mode];
        for (let k = 0; k < steps; k++, step++) {
          const record = mode !== 'off' && k % o.every === 0;
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
        return { wall: (performance.now() - w0) / steps, cpu: (cpuMs() - c0) / steps };
      };
      await block('off'); // warm-up
      const times: Record<Mode, { wall: number[]; cpu: number[] }> = {
        off: { wall: [], cpu: [] },
        worker: { wall: [], cpu: [] },
        inline: { wall: [], cpu: [] },
      };
      for (let r = 0; r < o.rounds; r++) {
        for (const mode of ['off', 'worker', 'inline'] as const) {
          const t = await block(mode);
          times[mode].wall.push(t.wall);
          times[mode].cpu.push(t.cpu);
        }
      }
      const off = { wall: median(times.off.wall), cpu: median(times.off.cpu) };
      for (const mode of ['off', 'worker', 'inline'] as const) {
        const wall = median(times[mode].wall);
        const cpu = median(times[mode].cpu);
        rows.push({
          model: name,
          mode,
          wallMsPerStep: wall,
          cpuMsPerStep: cpu,
          wallOverhead: wall / off.wall - 1,
          cpuOverhead: cpu / off.cpu - 1,
        });
      }
      sgd.dispose();
      exec.dispose();
    }
  } finally {
    await worker.close();
  }
  const pct = (x: unknown) => `${(100 * (x as number)).toFixed(1)}%`;
  console.log(
    `\nbatch ${o.batch}, recording every ${o.every} steps, ${o.rounds} rounds of ${2 * o.every} steps per mode (medians)\n`,
  );
  console.log('| network | mode | wall ms/step | CPU ms/step | wall overhead | CPU overhead |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${String(r.model)} | ${String(r.mode)} | ${(r.wallMsPerStep as number).toFixed(0)} | ${(r.cpuMsPerStep as number).toFixed(0)} | ${pct(r.wallOverhead)} | ${pct(r.cpuOverhead)} |`,
    );
  }
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'study.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ options: o, rows }, null, 1)}\n`);
  console.log(`\nwrote ${out}`);
}

await main();
