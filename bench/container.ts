/**
 * Container benchmark (npx tsx bench/container.ts [--quick] [--runs N] [--out FILE]).
 *
 * The one-shot API on a seeded 64 MiB ReLU-like float32 tensor, codec zvc,
 * density 30% (i.i.d. zeros), 1 MiB chunks: compress / compressInto /
 * decompress / decompressInto, each timed right after a memcpy of the tensor
 * (TypedArray.set, the physical limit) so every run gives a ratio under the
 * same machine load; medians of those ratios are printed. In the same runs:
 *
 * - `before`: the path as it was first written (the first kernels,
 *   wasm/zvc-v1.ts, node:zlib's CRC-32, a zeroed output), rebuilt here from
 *   the same header and frame code, so the table shows before and after
 *   paired;
 * - the checksum options on the container's payload bytes: @node-rs/crc32,
 *   node:zlib's crc32 and the table-driven CRC-32;
 * - the floor of any API that returns a new 64 MiB array: allocating one and
 *   writing it once (the kernel's page faults on fresh memory), which
 *   decompress() pays on top of decoding.
 *
 * Prints a markdown table and writes JSON (default bench/results/container.json).
 */
import { loadavg, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import {
  compress,
  compressInto,
  decompress,
  decompressInto,
  maxCompressedSize,
} from '../src/codec/api.js';
import { DTYPE_BYTES } from '../src/codec/codec.js';
import { crc32Fallback, crc32Impl, crc32Native, crc32Zlib } from '../src/codec/container/crc32.js';
import {
  FRAME_HEADER_BYTES,
  encodeHeader,
  type ContainerHeader,
} from '../src/codec/container/format.js';
import { planCompress } from '../src/codec/container/options.js';
import { parseContainer } from '../src/codec/container/reader.js';
import { median, timeOnce } from '../src/codec/measure.js';
import { getCodec } from '../src/codec/registry.js';
import { reluSample } from '../src/codec/sample.js';
import { packageRoot } from '../src/codec/wasm-module.js';
import { ZvcWasm } from '../src/codec/zvc-wasm.js';
import { prepareOutputDir, writeOutput } from '../src/io/write.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const runsAt = argv.indexOf('--runs');
const RUNS = runsAt >= 0 ? Math.max(1, Number(argv[runsAt + 1]) || 7) : quick ? 2 : 9;
const outAt = argv.indexOf('--out');
const OUT =
  outAt >= 0
    ? argv[outAt + 1]
    : join(packageRoot() ?? process.cwd(), 'bench', 'results', 'container.json');
// 5350 maps of 56x56 float32 = 64.0 MiB; --quick: 84 maps = 1.0 MiB.
const MAPS = quick ? 84 : 5350;
const DENSITY = 0.3;

const data = reluSample({ shape: [1, MAPS, 56, 56], density: DENSITY, pattern: 'iid', seed: 2018 });
const raw = new Uint8Array(data.buffer);
const copy = new Uint8Array(raw.length);

// ---- before: the first kernels, node:zlib's CRC-32, zeroed outputs ----
const v1 = ZvcWasm.create({ kernels: 'zvc-v1' });
const zlibCrc = crc32Zlib ?? crc32Fallback;

function compressBefore(x: Float32Array): Uint8Array {
  const k = v1!;
  const { header } = planCompress(x, { codec: 'zvc' }, getCodec);
  const h: ContainerHeader = header;
  const eb = DTYPE_BYTES[h.dtype];
  const bytes = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  const chunkRaw = h.chunkElements * eb;
  let total = h.headerBytes;
  for (let at = 0; at < bytes.length; at += chunkRaw) {
    const part = bytes.subarray(at, Math.min(at + chunkRaw, bytes.length));
    total +=
      FRAME_HEADER_BYTES + 4 * Math.ceil(part.length / eb / 32) + eb * k.countNonZero(part, eb);
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let p = encodeHeader(h, out, 0);
  for (let at = 0; at < bytes.length; at += chunkRaw) {
    const part = bytes.subarray(at, Math.min(at + chunkRaw, bytes.length));
    const len = k.encodeInto(part, eb, out.subarray(p + FRAME_HEADER_BYTES)).length;
    view.setUint32(p, len, true);
    const crc = zlibCrc(out.subarray(p + 8, p + 8 + len), zlibCrc(out.subarray(p, p + 4)));
    view.setUint32(p + 4, crc, true);
    p += FRAME_HEADER_BYTES + len;
  }
  return out;
}

function decompressBefore(bytes: Uint8Array): Uint8Array {
  const c = parseContainer(bytes, getCodec);
  const out = new Uint8Array(c.rawBytes);
  const chunkRaw = c.header.chunkElements * c.elementBytes;
  for (let i = 0; i < c.header.chunkCount; i++) {
    const at = c.frameOffsets[i];
    const len = c.payloadBytes[i];
    const payload = bytes.subarray(at + 8, at + 8 + len);
    const stored = new DataView(bytes.buffer, bytes.byteOffset + at + 4, 4).getUint32(0, true);
    if (zlibCrc(payload, zlibCrc(bytes.subarray(at, at + 4))) !== stored) throw new Error('crc');
    v1!.decodeInto(
      payload,
      c.elementBytes,
      out.subarray(i * chunkRaw, Math.min((i + 1) * chunkRaw, c.rawBytes)),
    );
  }
  return out;
}

// ---- the contenders ----
const container = compress(data);
const out = new Uint8Array(maxCompressedSize(data));
const back = new Float32Array(data.length);
const payload = container.subarray(0); // the checksum options run over the whole container's bytes
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;
if (v1 && !same(compressBefore(data), container)) throw new Error('before: different bytes');
if (v1 && !same(decompressBefore(container), raw)) throw new Error('before: round trip differs');
if (!same(new Uint8Array(decompress(container).data.buffer), raw))
  throw new Error('round trip differs');

interface Case {
  readonly name: string;
  readonly group: 'encode' | 'decode' | 'checksum' | 'floor';
  /** Bytes the ratio is taken over (the tensor's, or the payload's for checksums). */
  readonly bytes: number;
  readonly run: () => unknown;
}
const cases: Case[] = [
  { name: 'compress', group: 'encode', bytes: raw.length, run: () => compress(data) },
  {
    name: 'compressInto',
    group: 'encode',
    bytes: raw.length,
    run: () => compressInto(data, {}, out),
  },
  { name: 'decompress', group: 'decode', bytes: raw.length, run: () => decompress(container) },
  {
    name: 'decompressInto',
    group: 'decode',
    bytes: raw.length,
    run: () => decompressInto(container, back),
  },
];
if (v1) {
  cases.push({
    name: 'compress, before',
    group: 'encode',
    bytes: raw.length,
    run: () => compressBefore(data),
  });
  cases.push({
    name: 'decompress, before',
    group: 'decode',
    bytes: raw.length,
    run: () => decompressBefore(container),
  });
}
if (crc32Native)
  cases.push({
    name: 'CRC-32 @node-rs/crc32',
    group: 'checksum',
    bytes: payload.length,
    run: () => crc32Native!(payload),
  });
if (crc32Zlib)
  cases.push({
    name: 'CRC-32 node:zlib',
    group: 'checksum',
    bytes: payload.length,
    run: () => crc32Zlib!(payload),
  });
cases.push({
  name: 'CRC-32 table (TypeScript)',
  group: 'checksum',
  bytes: payload.length,
  run: () => crc32Fallback(payload),
});
cases.push({
  name: 'new array of the tensor size, written once',
  group: 'floor',
  bytes: raw.length,
  run: () => new Uint8Array(raw.length).fill(1),
});

const memcpy = (): void => copy.set(raw);
const ratios = new Map<string, number[]>();
const secs = new Map<string, number[]>();
const memcpySecs: number[] = [];
for (let r = -1; r < RUNS; r++) {
  for (const c of cases) {
    const m = timeOnce(memcpy);
    const t = timeOnce(c.run);
    if (r < 0) continue; // warm-up
    memcpySecs.push(m);
    // Ratio of the codec's speed over its bytes to memcpy's over the tensor's.
    (ratios.get(c.name) ?? ratios.set(c.name, []).get(c.name)!).push(
      m / raw.length / (t / c.bytes),
    );
    (secs.get(c.name) ?? secs.set(c.name, []).get(c.name)!).push(t);
  }
}
const rows = cases.map((c) => ({
  name: c.name,
  group: c.group,
  bytes: c.bytes,
  ms: median(secs.get(c.name)!) * 1e3,
  gbPerSecond: c.bytes / median(secs.get(c.name)!) / 1e9,
  vsMemcpy: median(ratios.get(c.name)!),
}));
const load = loadavg();
const lines = [
  `Container one-shot API, ${(raw.length / 2 ** 20).toFixed(1)} MiB float32, zvc, density ${DENSITY * 100}% i.i.d., 1 MiB chunks, ratio ${(raw.length / container.length).toFixed(2)}; ${RUNS} paired runs, medians; CRC-32 in use: ${crc32Impl}; load average ${load.map((x) => x.toFixed(2)).join(' ')}`,
  '',
  '| what | ms | GB/s | × memcpy |',
  '| --- | ---: | ---: | ---: |',
  `| memcpy (TypedArray.set) | ${(median(memcpySecs) * 1e3).toFixed(1)} | ${(raw.length / median(memcpySecs) / 1e9).toFixed(2)} | 1.00 |`,
  ...rows.map(
    (r) =>
      `| ${r.name} | ${r.ms.toFixed(1)} | ${r.gbPerSecond.toFixed(2)} | ${r.vsMemcpy.toFixed(2)} |`,
  ),
];
if (quick) lines.push('', '(--quick: 1 MiB fits in cache; a smoke test, not a measurement)');
process.stdout.write(lines.join('\n') + '\n');
prepareOutputDir(dirname(OUT), 'results folder');
writeOutput(
  OUT,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cpus: cpus().length,
      loadAverage: load,
      quick,
      tensorBytes: raw.length,
      containerBytes: container.length,
      density: DENSITY,
      runs: RUNS,
      crc32: crc32Impl,
      memcpyGBs: raw.length / median(memcpySecs) / 1e9,
      rows,
    },
    null,
    2,
  ) + '\n',
);
process.stdout.write(`\nwrote ${OUT}\n`);
