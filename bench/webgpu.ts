/**
 * WebGPU benchmark (npm run bench:webgpu [-- --mib N] [--reps N] [--density D] [--out FILE]).
 *
 * On whatever adapter WebGPU finds (a GPU, or llvmpipe, labelled software):
 * - the link: GPU -> host (copy into a MAP_READ buffer, mapAsync, copy out)
 *   and host -> GPU (queue.writeBuffer; a mapped MAP_WRITE upload), GB/s;
 * - the GPU ZVC kernels (src/webgpu/zvc.ts) on a float32 tensor of the given
 *   density (i.i.d. zeros, default 0.3, about a ReLU layer's), encode into
 *   the GPU buffer and decode from it, in GB/s of raw tensor bytes, against
 *   the GPU's buffer-to-buffer copy of the same bytes measured in the same
 *   run (the target on a real GPU: at least 50%).
 * Medians of --reps runs after a warm-up; prints a table and writes JSON
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

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const mib = Number(arg('mib', '32'));
const reps = Number(arg('reps', '5'));
const density = Number(arg('density', '0.3'));
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
  date: new Date().toISOString(),
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
console.log(`\nwrote ${out}`);
device.destroy();
