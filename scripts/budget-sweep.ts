/**
 * npm run budget:sweep -- [--policy all,none,conv] [--limit 3.75GiB,...] [--batch N] [--jobs 1] [NET...]
 *
 * Does a run the budget estimate accepts stay inside the heap? For every
 * `-small` network (or those named), every policy and every device limit
 * (default: the executor's, 3.75 GiB): the largest batch the estimate
 * accepts (or --batch), then two real training steps at that batch on the
 * wasm backend in a fresh process, with the limit as --budget and as the
 * executor's device limit. The heap's real peak is the rise of the
 * allocator's break over the run (src/memory/heap-watermark.ts). It prints a
 * markdown table: the estimate's parts (tensors, + kernel temporaries, with
 * the fragmentation margin), the heap's peak, its ratio to tensors +
 * temporaries (what the margin must cover: docs/MEMORY.md, "The budget") and
 * to the limit. Exits 1 if any run failed or its heap passed the limit.
 */
import { listModels, getModel } from '../src/nn/zoo/index.js';
import { ModelPlan } from '../src/plan/index.js';
import { DEFAULT_DEVICE_LIMIT_BYTES } from '../src/nn/device-limit.js';
import { parseByteSize } from '../src/io/sizes.js';
import {
  largestAcceptedBatch,
  runAtBatch,
  runInChild,
  type StaticPolicy,
  type SweepRun,
} from './budget-sweep-run.js';

const args = process.argv.slice(2);

if (args[0] === '--child') {
  const [, net, batch, policy, limit, steps] = args;
  const r = await runAtBatch(
    net,
    Number(batch),
    policy as StaticPolicy,
    Number(limit),
    Number(steps),
  );
  console.log(JSON.stringify(r));
  process.exit(0);
}

const opt = (name: string): string | undefined => {
  const k = args.indexOf(name);
  if (k < 0) return undefined;
  const v = args[k + 1];
  args.splice(k, 2);
  return v;
};
const policies = (opt('--policy') ?? 'all').split(',') as StaticPolicy[];
const limits = (opt('--limit') ?? String(DEFAULT_DEVICE_LIMIT_BYTES))
  .split(',')
  .map((s) => parseByteSize(s, '--limit', 1));
const fixedBatch = opt('--batch');
const jobs = Math.max(1, Number(opt('--jobs') ?? 1));
const nets = args.length
  ? args
  : listModels()
      .map((m) => m.name)
      .filter((n) => n.endsWith('-small'));

const MiB = (b: number) => (b / 2 ** 20).toFixed(1);
const work: { net: string; policy: StaticPolicy; limit: number; batch: number }[] = [];
for (const limit of limits)
  for (const policy of policies)
    for (const net of nets) {
      const batch = fixedBatch
        ? Number(fixedBatch)
        : largestAcceptedBatch(ModelPlan.of(getModel(net)), policy, limit);
      work.push({ net, policy, limit, batch });
    }

console.log(
  '| network | policy | budget MiB | batch | tensors MiB | + temporaries MiB | heap estimate MiB | heap peak MiB | heap / (tensors + temporaries) | heap / heap estimate | s | ok |',
);
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
let bad = 0;
const row = (r: SweepRun) =>
  console.log(
    `| ${[
      r.net,
      r.policy,
      MiB(r.limitBytes),
      r.batch,
      MiB(r.tensorBytes),
      MiB(r.deviceEstimateBytes),
      MiB(r.heapEstimateBytes),
      MiB(r.heapPeakBytes),
      (r.heapPeakBytes / r.deviceEstimateBytes).toFixed(3),
      (r.heapPeakBytes / r.heapEstimateBytes).toFixed(3),
      (r.ms / 1000).toFixed(1),
      r.ok ? 'yes' : `NO${r.error ? `: ${r.error}` : ''}`,
    ].join(' | ')} |`,
  );
let next = 0;
await Promise.all(
  Array.from({ length: jobs }, async () => {
    while (next < work.length) {
      const w = work[next++];
      if (w.batch === 0) {
        console.log(`| ${w.net} | ${w.policy} | ${MiB(w.limit)} | 0 | no batch fits |`);
        continue;
      }
      const r = await runInChild(w.net, w.batch, w.policy, w.limit);
      if (!r.ok) bad++;
      row(r);
    }
  }),
);
process.exit(bad ? 1 : 0);
