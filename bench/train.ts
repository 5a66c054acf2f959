/**
 * npm run bench:train [-- --batch 64 --runs 5 --models alexnet-small,vgg16-small]
 *
 * Training-step throughput of the layer-wise executor on the wasm backend,
 * next to the practical peak measured in the same run:
 * - step: trainStep + Sgd.step, median of --runs steps after two warm-up
 *   steps; GFLOP/s from analyzeModel's forward + backward FLOPs;
 * - fwd-conv: the model's own convolution layers, forward only (the same
 *   shapes, groups and bias), GFLOP/s over their summed times: the rate the
 *   step would reach if every FLOP ran like a forward convolution. One
 *   fwd-conv pass runs after each timed step, so both see the same machine;
 * - a fixed 3x3 64->64 convolution on 32x32 at the same batch, for scale;
 * - executor overhead: the share of a step spent outside kernels. Kernel
 *   time is the sum of tf.profile's per-kernel times over --runs profiled
 *   steps (registered kernels only, so an op that wraps a kernel is not
 *   counted twice; median over the steps). Profiled steps alternate with
 *   unprofiled ones. The estimate is (median unprofiled step - median
 *   kernel time) / median unprofiled step. The bound pairs the two within
 *   each profiled step (its time minus its own kernel time), which cancels
 *   step-to-step variation but also counts tf.profile's bookkeeping and the
 *   clock reads as overhead.
 * Times are CPU time of the main thread (the wasm backend is
 * single-threaded and synchronous), so time the shared machine spends on
 * other processes does not count; wall times are reported alongside.
 * Prints a table and writes bench/results/train.json.
 */
import { openSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/nn/backend.js';
import { Executor } from '../src/nn/executor.js';
import { analyzeModel } from '../src/nn/shapes.js';
import type { Conv2dSpec, ModelSpec } from '../src/nn/spec.js';
import { getModel } from '../src/nn/zoo/index.js';
import { Sgd } from '../src/train/sgd.js';
import { prepareOutputDir, writeOutput } from '../src/io/write.js';

interface Options {
  batch: number;
  runs: number;
  models: string[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = { batch: 64, runs: 5, models: ['alexnet-small', 'vgg16-small'] };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === '--batch') o.batch = Number(v);
    else if (argv[i] === '--runs') o.runs = Number(v);
    else if (argv[i] === '--models') o.models = v.split(',');
    else if (argv[i] === '--help') {
      console.log(
        'usage: npm run bench:train -- [--batch N (64)] [--runs N (5)] [--models a,b (alexnet-small,vgg16-small)]',
      );
      process.exit(0);
    } else continue;
    i++;
  }
  if (!(o.batch >= 1 && o.runs >= 1)) throw new Error('--batch and --runs must be positive');
  return o;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * CPU time of the main thread in milliseconds: /proc/thread-self/schedstat
 * (Linux, nanoseconds; excludes V8's helper threads), else the process's
 * CPU time (process.cpuUsage).
 */
function cpuClock(): () => number {
  try {
    const fd = openSync('/proc/thread-self/schedstat', 'r');
    const buf = Buffer.alloc(64);
    const read = () => {
      const n = readSync(fd, buf, 0, buf.length, 0);
      return Number(buf.toString('latin1', 0, n).split(' ')[0]) / 1e6;
    };
    if (Number.isFinite(read())) return read;
  } catch {
    // not Linux: fall through
  }
  return () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
}

const cpuNow = cpuClock();

interface Timed {
  cpu: number;
  wall: number;
}

async function timed(f: () => unknown): Promise<Timed> {
  const c0 = cpuNow();
  const t0 = performance.now();
  await f();
  return { cpu: cpuNow() - c0, wall: performance.now() - t0 };
}

/**
 * The wasm backend's kernel timer, switched to CPU time for profiling. The
 * clock's own cost (measured around an empty call) is taken off each
 * kernel's time.
 */
function cpuKernelTimer(): () => void {
  const backend = tf.backend() as unknown as {
    time: (f: () => void) => Promise<{ kernelMs: number }>;
  };
  const original = backend.time;
  const empty: number[] = [];
  for (let i = 0; i < 201; i++) {
    const c0 = cpuNow();
    empty.push(cpuNow() - c0);
  }
  const clockMs = median(empty);
  backend.time = async (f) => {
    const c0 = cpuNow();
    f();
    return { kernelMs: Math.max(0, cpuNow() - c0 - clockMs) };
  };
  return () => {
    backend.time = original;
  };
}

/** A forward pass of one convolution layer as the conv2d layer runs it, and its FLOPs. */
function convForward(l: Conv2dSpec, input: readonly number[], batch: number) {
  const [c, h, w] = input;
  const g = l.groups;
  const [kh, kw] = l.kernel;
  const x = tf.randomUniform([batch, h, w, c]) as tf.Tensor4D;
  const filters = Array.from(
    { length: g },
    () => tf.randomUniform([kh, kw, c / g, l.filters / g]) as tf.Tensor4D,
  );
  const bias = l.bias ? tf.zeros([l.filters / g]) : undefined;
  const pad: [[number, number], [number, number], [number, number], [number, number]] = [
    [0, 0],
    [l.pad[0], l.pad[1]],
    [l.pad[2], l.pad[3]],
    [0, 0],
  ];
  const xs =
    g === 1 ? [x] : filters.map((_, i) => tf.slice(x, [0, 0, 0, (i * c) / g], [-1, -1, -1, c / g]));
  const run = () =>
    tf.tidy(() => {
      const ys = xs.map((xi, i) =>
        tf.fused.conv2d({
          x: xi as tf.Tensor4D,
          filter: filters[i],
          strides: l.stride as [number, number],
          pad,
          bias,
        }),
      );
      return ys.length === 1 ? ys[0] : tf.concat(ys, 3);
    });
  const y = run();
  const flops = 2 * y.size * kh * kw * (c / g);
  y.dispose(); // the first run also creates the XNNPACK operators
  return {
    flops,
    run: () => run().dataSync(),
    dispose: () => tf.dispose([x, ...filters, ...(bias ? [bias] : []), ...(g === 1 ? [] : xs)]),
  };
}

/** All convolution layers of a model, forward: one call runs each once. */
function modelConvs(spec: ModelSpec, batch: number) {
  const convs = analyzeModel(spec)
    .layers.filter((l) => l.spec.kind === 'conv2d')
    .map((l) => convForward(l.spec as Conv2dSpec, l.inputShapes[0], batch));
  return {
    flops: convs.reduce((a, c) => a + c.flops, 0),
    run: () => convs.forEach((c) => c.run()),
    dispose: () => convs.forEach((c) => c.dispose()),
  };
}

async function referenceConv(batch: number, runs: number): Promise<number> {
  const spec: Conv2dSpec = {
    kind: 'conv2d',
    name: 'ref',
    inputs: ['x'],
    filters: 64,
    kernel: [3, 3],
    stride: [1, 1],
    pad: [1, 1, 1, 1],
    groups: 1,
    bias: true,
  };
  const r = convForward(spec, [64, 32, 32], batch);
  const t: number[] = [];
  for (let i = 0; i < runs; i++) t.push((await timed(r.run)).cpu);
  r.dispose();
  return r.flops / median(t) / 1e6;
}

async function benchModel(name: string, o: Options, refGflops: number) {
  const spec = getModel(name);
  const a = analyzeModel(spec);
  const [c, h, w] = a.layers[0].outputShape;
  const convs = modelConvs(spec, o.batch);
  const exec = Executor.create(spec, { seed: 1 });
  const sgd = new Sgd({ lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
  const images = tf.randomNormal([o.batch, h, w, c], 0, 1, 'float32', 7) as tf.Tensor4D;
  const labels = Int32Array.from({ length: o.batch }, (_, i) => i % spec.numClasses);
  let step = 0;
  const oneStep = async () => {
    await exec.trainStep(images, labels, step++);
    sgd.step(exec.params);
  };
  for (let i = 0; i < 2; i++) await oneStep();
  const steps: Timed[] = [];
  const convTimes: Timed[] = [];
  for (let i = 0; i < o.runs; i++) {
    steps.push(await timed(oneStep));
    convTimes.push(await timed(convs.run));
  }
  const stepMs = median(steps.map((t) => t.cpu));
  const convMs = median(convTimes.map((t) => t.cpu));
  // Time outside kernels, within each profiled step.
  tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false);
  const restore = cpuKernelTimer();
  const outside: number[] = [];
  const kernelMs: number[] = [];
  const byKernel = new Map<string, number>();
  const plain: number[] = [];
  for (let i = 0; i < o.runs; i++) {
    plain.push((await timed(oneStep)).cpu);
    let info: Awaited<ReturnType<typeof tf.profile>> | undefined;
    const t = await timed(async () => {
      info = await tf.profile(oneStep);
    });
    let sum = 0;
    for (const k of info!.kernels) {
      // Ops that wrap kernels (custom-gradient scopes such as fused conv2d)
      // appear too; only registered kernels are counted, so none twice.
      if (!tf.getKernel(k.name, 'wasm')) continue;
      const ms = k.kernelTimeMs as number;
      sum += ms;
      byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + ms / o.runs);
    }
    kernelMs.push(sum);
    outside.push((t.cpu - sum) / t.cpu);
  }
  restore();
  const kMs = median(kernelMs);
  const flopsPerStep = (a.forwardFlops + a.backwardFlops) * o.batch;
  const stepGflops = flopsPerStep / stepMs / 1e6;
  const convGflops = convs.flops / convMs / 1e6;
  const result = {
    model: name,
    batch: o.batch,
    stepCpuMs: stepMs,
    stepWallMs: median(steps.map((t) => t.wall)),
    steps,
    imagesPerSec: (o.batch * 1000) / stepMs,
    stepGflop: flopsPerStep / 1e9,
    stepGflops,
    fwdConvGflop: convs.flops / 1e9,
    fwdConvCpuMs: convMs,
    fwdConvGflops: convGflops,
    referenceConvGflops: refGflops,
    stepToFwdConv: stepGflops / convGflops,
    profiledKernelCpuMs: kMs,
    overhead: Math.max(0, (median(plain) - kMs) / median(plain)),
    overheadBound: median(outside),
    overheadBoundPerProfiledStep: outside,
    peakDeviceBytes: exec.peakDeviceBytes,
    kernels: [...byKernel.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, 12)
      .map(([kernel, ms]) => ({ kernel, cpuMs: ms })),
  };
  convs.dispose();
  images.dispose();
  sgd.dispose();
  exec.dispose();
  return result;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  await initBackend('wasm');
  const ref = await referenceConv(o.batch, o.runs);
  const results = [];
  for (const m of o.models) results.push(await benchModel(m, o, ref));
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(
    `wasm backend, batch ${o.batch}, median of ${o.runs} steps; reference conv 3x3 64->64 @32x32: ${ref.toFixed(1)} GFLOP/s`,
  );
  console.table(
    results.map((r) => ({
      model: r.model,
      'step ms (cpu)': r.stepCpuMs.toFixed(0),
      'step ms (wall)': r.stepWallMs.toFixed(0),
      'img/s': r.imagesPerSec.toFixed(1),
      'step GFLOP/s': r.stepGflops.toFixed(2),
      'fwd-conv GFLOP/s': r.fwdConvGflops.toFixed(2),
      'step/fwd-conv': pct(r.stepToFwdConv),
      'kernel ms': r.profiledKernelCpuMs.toFixed(0),
      'outside kernels': pct(r.overhead),
      '(bound)': pct(r.overheadBound),
      'target (>=50%, <5%)': r.stepToFwdConv >= 0.5 && r.overhead < 0.05 ? 'met' : 'missed',
    })),
  );
  for (const r of results) {
    console.log(
      `${r.model} kernel CPU time per step: ` +
        r.kernels.map((k) => `${k.kernel} ${k.cpuMs.toFixed(0)}ms`).join(', '),
    );
  }
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'train.json');
  prepareOutputDir(dirname(out), 'results folder');
  writeOutput(
    out,
    JSON.stringify({ date: new Date().toISOString(), backend: 'wasm', ...o, results }, null, 2) +
      '\n',
  );
  console.log(`wrote ${out}`);
}

await main();
