/**
 * WebGPU benchmark (npm run bench:webgpu [-- --mib N] [--reps N] [--density D] [--out FILE]
 * [--models a,b|none] [--batch N] [--steps N]).
 *
 * On whatever adapter WebGPU finds (a GPU, or llvmpipe, labelled software):
 * - the link: GPU -> host (copy into a MAP_READ buffer, mapAsync, copy out)
 *   and host -> GPU (queue.writeBuffer; a mapped MAP_WRITE upload), GB/s;
 * - the GPU ZVC kernels (src/webgpu/zvc.ts) on a float32 tensor of the given
 *   density (i.i.d. zeros, default 0.3, about a ReLU layer's), encode into
 *   the GPU buffer and decode from it, in GB/s of raw tensor bytes, against
 *   the GPU's buffer-to-buffer copy of the same bytes measured in the same
 *   run (the target on a real GPU: at least 50%).
 * - per network (--models, default the seven -small zoo networks; batch
 *   --batch, --steps timed steps): oracle, vDNN and cDMA step times on the
 *   real link, cDMA's speed-up over vDNN against what the simulator's model
 *   predicts for the measured link and ratios (bench/webgpu-networks.ts);
 *   a weight mismatch between the three runs fails the bench.
 * Medians of --reps runs after a warm-up; prints tables and writes JSON
 * (default bench/results/webgpu.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg } from 'node:os';
import { requestWebGpuDevice, webgpuAvailable } from '../src/webgpu/adapter.js';
import {
  measureDeviceCopy,
  measureDownload,
  measureMappedUpload,
  measureUpload,
  timeRuns,
  timing,
  type LinkTiming,
} from '../src/webgpu/link.js';
import { GpuZvc, uploadBuffer, zvcSuperblockIndex } from '../src/webgpu/zvc.js';
import { benchNetworks, networkTable, SMALL_ZOO } from './webgpu-networks.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const mib = Number(arg('mib', '32'));
const reps = Number(arg('reps', '5'));
const density = Number(arg('density', '0.3'));
const modelsArg = arg('models', SMALL_ZOO.join(','));
const models = modelsArg === 'none' ? [] : modelsArg.split(',').filter((m) => m.length > 0);
const batch = Number(arg('batch', '4'));
const steps = Number(arg('steps', '5'));
const out = arg('out', join(dirname(fileURLToPath(import.meta.url)), 'results', 'webgpu.json'));

const avail = await webgpuAvailable();
if (!avail.ok) {
  console.error(`bench:webgpu: ${avail.reason}`);
  process.exit(1);
}
const device = await requestWebGpuDevice();
const bytes = mib * 1024 * 1024;
const n = bytes / 4;

// A seeded ReLU-like tensor: zeros with probability 1 - density.
const data = new Float32Array(n);
let s = 12345;
for (let i = 0; i < n; i++) {
  s = (Math.imul(s, 1103515245) + 12345) >>> 0;
  if (s / 2 ** 32 < density) data[i] = (s & 0xffff) / 65536 + 0.01;
}
const raw = new Uint8Array(data.buffer);

const download = await measureDownload(device, bytes, reps);
const upload = await measureUpload(device, bytes, reps);
const mappedUpload = await measureMappedUpload(device, bytes, reps);
const copy = await measureDeviceCopy(device, bytes, reps);

const zvc = new GpuZvc(device);
const src = uploadBuffer(device, raw, GPUBufferUsage.STORAGE);
let payload = 0;
const encodeSeconds = await timeRuns(reps, async () => {
  const p = await zvc.encode(src, n, 4);
  payload = p.byteLength;
  p.buffer.destroy();
});
const encoded = await zvc.encodeToHost(src, n, 4);
const index = zvcSuperblockIndex(encoded, n, 4);
const comp = uploadBuffer(device, encoded, GPUBufferUsage.STORAGE);
const decodeSeconds = await timeRuns(reps, async () => {
  const o = zvc.decode(comp, n, 4, index);
  await device.queue.onSubmittedWorkDone();
  o.destroy();
});
src.destroy();
comp.destroy();
const encode = timing(bytes, encodeSeconds);
const decode = timing(bytes, decodeSeconds);

const label = avail.software ? `${avail.adapter} [software adapter: not a GPU]` : avail.adapter;
const rows: [string, LinkTiming, string][] = [
  ['link GPU -> host (copy to MAP_READ, mapAsync, copy out)', download, ''],
  ['link host -> GPU (queue.writeBuffer)', upload, ''],
  ['link host -> GPU (mapped MAP_WRITE upload + GPU copy)', mappedUpload, ''],
  ['GPU buffer copy (copyBufferToBuffer)', copy, '1.00'],
  ['ZVC encode on the GPU (raw bytes in)', encode, (encode.gbps / copy.gbps).toFixed(2)],
  ['ZVC decode on the GPU (raw bytes out)', decode, (decode.gbps / copy.gbps).toFixed(2)],
];
console.log(`adapter: ${label}`);
console.log(
  `tensor: ${mib} MiB float32, density ${density}, ZVC ratio ${(bytes / payload).toFixed(2)}; median of ${reps} runs; load ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs`,
);
console.log('');
console.log('| what | GB/s | x GPU buffer copy |');
console.log('| --- | ---: | ---: |');
for (const [what, t, r] of rows) console.log(`| ${what} | ${t.gbps.toFixed(2)} | ${r} |`);

device.destroy();

const networkStart = performance.now();
const networks =
  models.length === 0
    ? []
    : await benchNetworks({
        models,
        batch,
        steps,
        linkGBps: download.gbps,
        zvcEncodeGBps: encode.gbps,
        zvcDecodeGBps: decode.gbps,
        log: (line) => console.error(line),
      });
const networkSeconds = (performance.now() - networkStart) / 1000;
const mismatches = networks.filter((r) => !r.hashesEqual).map((r) => r.model);
if (networks.length > 0) {
  console.log('');
  console.log(
    `networks on ${label}: batch ${batch}, median of ${steps} steps after a warm-up; ` +
      `load ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs; ${networkSeconds.toFixed(0)} s`,
  );
  console.log(
    `oracle: no offloading; vDNN: policy all, codec none; cDMA: policy all, codec zvc (on the GPU); ` +
      `speed-up = vDNN ms / cDMA ms; predictions at the link's measured ${download.gbps.toFixed(2)} GB/s ` +
      `(GPU -> host, both directions) and the measured ratios`,
  );
  console.log('');
  for (const line of networkTable(networks)) console.log(line);
  const count = (c: string) => networks.filter((r) => r.closerTo === c).length;
  console.log('');
  console.log(
    `measured speed-up closer to the overlap prediction on ${count('overlap')} of ${networks.length} ` +
      `networks, to the serialized one on ${count('serialized')}; the two predictions agree within 1% ` +
      `on ${count('same')}` +
      (avail.software ? ' (software adapter: says nothing about a GPU)' : ''),
  );
  console.log(
    mismatches.length === 0
      ? 'weights: the oracle, vDNN and cDMA runs agree on every network'
      : `weights: MISMATCH on ${mismatches.join(', ')}`,
  );
}

const result = {
  adapter: avail.adapter,
  software: avail.software,
  tensorBytes: bytes,
  density,
  zvcBytes: payload,
  ratio: bytes / payload,
  reps,
  loadavg: loadavg()[0],
  cpus: cpus().length,
  linkGpuToHostGBps: download.gbps,
  linkHostToGpuGBps: upload.gbps,
  linkHostToGpuMappedGBps: mappedUpload.gbps,
  gpuCopyGBps: copy.gbps,
  zvcEncodeGBps: encode.gbps,
  zvcDecodeGBps: decode.gbps,
  zvcEncodeOfCopy: encode.gbps / copy.gbps,
  zvcDecodeOfCopy: decode.gbps / copy.gbps,
  runs: { download, upload, mappedUpload, copy, encode, decode },
  networks: {
    batch,
    steps,
    seconds: networkSeconds,
    linkGBps: download.gbps,
    results: networks,
  },
  date: new Date().toISOString(),
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
console.log(`\nwrote ${out}`);
if (mismatches.length > 0) process.exitCode = 1;
