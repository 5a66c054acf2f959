/**
 * The pieces of scripts/budget-sweep.ts that test/memory/heap-budget.test.ts
 * shares: the largest batch the estimate accepts under a device limit, and
 * real training steps at a batch with the heap's real peak measured (the
 * rise of the allocator's break, src/memory/heap-watermark.ts). Run
 * `runAtBatch` in a fresh process (`--child`): the break only ever rises, so
 * a process measures one run.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/nn/backend.js';
import { getModel } from '../src/nn/zoo/index.js';
import { Executor } from '../src/nn/executor.js';
import { Sgd } from '../src/train/sgd.js';
import { MemoryManager } from '../src/memory/manager.js';
import { DEFAULT_MEMORY_CONFIG } from '../src/memory/config.js';
import { planBudget } from '../src/memory/budget.js';
import { ModelPlan } from '../src/plan/index.js';
import { locateHeapBreak, readHeapBreak } from '../src/memory/heap-watermark.js';

export type StaticPolicy = 'all' | 'none' | 'conv';

export interface SweepRun {
  readonly net: string;
  readonly policy: StaticPolicy;
  readonly batch: number;
  readonly limitBytes: number;
  /** The estimate's parts for the policy at this batch, as the manager computed them. */
  readonly tensorBytes: number;
  /** Tensors and kernel temporaries: the device bytes the budget checks. */
  readonly deviceEstimateBytes: number;
  /** The heap the estimate reserves for them (with the fragmentation margin). */
  readonly heapEstimateBytes: number;
  readonly layer: string;
  /** The executor's own peak (its device meter). */
  readonly meterPeakBytes: number;
  /** How far the heap's break rose from before the model existed to after the last step. */
  readonly heapPeakBytes: number;
  /** The wasm memory's size at the end (it grows ahead of the break by up to 20%). */
  readonly memoryBytes: number;
  readonly ms: number;
  /** The steps ran and the heap's peak stayed within what the estimate reserved for it. */
  readonly ok: boolean;
  readonly error?: string;
}

/** Bytes resident when the first step begins, as the manager sees them: parameters, buffers, the batch, labels. */
function residentBytes(plan: ModelPlan, batch: number): number {
  const input = plan.analysis.layers[0].outputElements;
  return (plan.analysis.params + input * batch + batch) * 4;
}

/** Whether the estimate accepts `batch` under `limit` for a static policy. */
export function accepts(
  plan: ModelPlan,
  policy: StaticPolicy,
  batch: number,
  limit: number,
): boolean {
  try {
    planBudget(
      { plan, batch, config: { policy, budgetBytes: limit }, offloaded: plan.offloadSet(policy) },
      residentBytes(plan, batch),
    );
    return true;
  } catch {
    return false;
  }
}

/** The largest batch the estimate accepts under `limit` (0 if none). */
export function largestAcceptedBatch(plan: ModelPlan, policy: StaticPolicy, limit: number): number {
  let lo = 0;
  let hi = 1;
  while (accepts(plan, policy, hi, limit)) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (accepts(plan, policy, mid, limit)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * `steps` training steps (executor, manager with the policy and codec none,
 * the limit as its budget and the executor's device limit, SGD with
 * momentum) at `batch`, measuring the heap's break from before anything of
 * the run exists. Call it once per process.
 */
export async function runAtBatch(
  net: string,
  batch: number,
  policy: StaticPolicy,
  limit: number,
  steps = 2,
): Promise<SweepRun> {
  await initBackend('wasm');
  const spec = getModel(net);
  const backend = tf.backend();
  const hb = locateHeapBreak(backend);
  if (!hb) throw new Error('cannot locate the wasm heap break');
  const t0 = performance.now();
  const manager = await MemoryManager.create({
    config: { ...DEFAULT_MEMORY_CONFIG, policy, codec: { id: 'none' }, budgetBytes: limit },
    spec,
    batch,
  });
  let meter = 0;
  let error: string | undefined;
  const input = spec.layers[0];
  if (input.kind !== 'input') throw new Error('no input layer');
  const [c, h, w] = input.shape;
  const exec = Executor.create(spec, { seed: 1, store: manager, deviceLimitBytes: limit });
  const sgd = new Sgd({ lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
  try {
    const labels = new Int32Array(batch).map((_, i) => i % spec.numClasses);
    for (let step = 0; step < steps; step++) {
      const x = tf.randomNormal([batch, h, w, c], 0, 1, 'float32', step + 1) as tf.Tensor4D;
      try {
        const r = await exec.trainStep(x, labels, step);
        meter = Math.max(meter, r.peakDeviceBytes);
        if (!Number.isFinite(r.loss)) error = `loss ${r.loss}`;
      } finally {
        x.dispose();
      }
      sgd.step(exec.params);
    }
  } catch (e) {
    error = `${(e as Error).name}: ${(e as Error).message}`;
  }
  const heapPeakBytes = readHeapBreak(backend, hb) - hb.before;
  const ms = performance.now() - t0;
  const memoryBytes = (backend as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8
    .byteLength;
  sgd.dispose();
  exec.dispose();
  await manager.close();
  const plan = ModelPlan.of(spec);
  const est =
    manager.budgetPlan?.chosen ??
    plan.peak(
      plan.offloadSet(policy),
      batch,
      residentBytes(plan, batch) + plan.analysis.params * 4,
    );
  return {
    net,
    policy,
    batch,
    limitBytes: limit,
    tensorBytes: est.tensorBytes,
    deviceEstimateBytes: est.peakBytes,
    heapEstimateBytes: est.heapBytes,
    layer: `${est.layer} (${est.phase})`,
    meterPeakBytes: meter,
    heapPeakBytes,
    memoryBytes,
    ms,
    ok: error === undefined && heapPeakBytes <= est.heapBytes,
    error,
  };
}

const CHILD = fileURLToPath(new URL('./budget-sweep.ts', import.meta.url));

/** `runAtBatch` in a fresh Node process (the break measures one run per process). */
export function runInChild(
  net: string,
  batch: number,
  policy: StaticPolicy,
  limit: number,
  steps = 2,
): Promise<SweepRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        CHILD,
        '--child',
        net,
        String(batch),
        policy,
        String(limit),
        String(steps),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as SweepRun);
      } catch {
        // A heap that runs out aborts the process: that is an overflow too.
        const why = (err || line).trim().split('\n').slice(-3).join(' ').slice(0, 400);
        resolve({
          net,
          policy,
          batch,
          limitBytes: limit,
          tensorBytes: NaN,
          deviceEstimateBytes: NaN,
          heapEstimateBytes: NaN,
          layer: '',
          meterPeakBytes: NaN,
          heapPeakBytes: NaN,
          memoryBytes: NaN,
          ms: NaN,
          ok: false,
          error: `process exited ${code}: ${why}`,
        });
      }
    });
  });
}
