/**
 * Codec benchmark (npm run bench:codecs [-- --quick] [--out FILE]).
 *
 * Seeded 64 MiB ReLU-like float32 tensors at densities 10/30/50/70%, with
 * i.i.d. zeros and with spatially clustered zeros (a smoothed random field
 * thresholded per 56x56 map), and the same tensors as 16-bit patterns
 * (bfloat16: the upper half of each float32, 32 MiB). For each cdma codec (zvc
 * WebAssembly, in the kernel's heap and through the byte-array API, and the
 * first kernels wasm/zvc-v1.ts in their heap as the before of the before/after
 * table; zvc TypeScript; rle; zlib level 6) and, in the same run, the physical
 * limit (memcpy: TypedArray.set) and the codecs a Node user would pick instead
 * (node:zlib deflate level 1, lz4-napi, zstd-napi level 1; float32 only):
 * ratio, compress and decompress GB/s.
 *
 * Every timed run measures memcpy right before the codec, so each run gives a
 * codec/memcpy ratio under the same machine load; the table shows medians of
 * the runs (after warm-up) and of those per-run ratios. Prints a markdown table
 * and writes JSON (default bench/results/codecs.json).
 */
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { getCodec } from '../src/codec/registry.js';
import { gbPerSecond, median, timeOnce } from '../src/codec/measure.js';
import { countNonZero } from '../src/codec/nonzero.js';
import { reluSample, type ZeroPattern } from '../src/codec/sample.js';
import { packageRoot } from '../src/codec/wasm-module.js';
import { ZvcWasm } from '../src/codec/zvc-wasm.js';
import { zvcMaxSize } from '../src/codec/zvc-format.js';
import { prepareOutputDir, writeOutput } from '../src/io/write.js';

interface Args {
  quick: boolean;
  out: string;
  runs: number;
  /** Only contenders whose name contains this (memcpy always runs). */
  only?: string;
  /** Element widths to run (bytes). */
  widths: (2 | 4)[];
}

/** One codec under test: encode returns the payload; decode fills `out` (raw size). */
interface Contender {
  readonly name: string;
  readonly kind: 'cdma' | 'peer';
  /** General-purpose codec (for the 5x target). */
  readonly general: boolean;
  /** Element widths it runs on (default: float32 only). */
  readonly widths?: readonly (2 | 4)[];
  /** Called once per dataset before timing (e.g. to stage data in a heap). */
  prepare?(src: Uint8Array, eb: 2 | 4): void;
  encode(src: Uint8Array, eb: 2 | 4): Uint8Array;
  decode(enc: Uint8Array, out: Uint8Array, eb: 2 | 4): Uint8Array;
}

interface Row {
  pattern: ZeroPattern;
  /** Element width in bits. */
  bits: 16 | 32;
  density: number;
  measuredDensity: number;
  codec: string;
  kind: 'limit' | 'cdma' | 'peer';
  ratio: number;
  compressGBs: number;
  decompressGBs: number;
  /** Median over runs of (codec GB/s / memcpy GB/s of the same run). */
  compressVsMemcpy: number;
  decompressVsMemcpy: number;
}

function parseArgs(argv: string[]): Args {
  const root = packageRoot() ?? process.cwd();
  const a: Args = {
    quick: false,
    out: join(root, 'bench', 'results', 'codecs.json'),
    runs: 5,
    widths: [4, 2],
  };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--quick') a.quick = true;
    else if (v === '--out') a.out = argv[++i] ?? a.out;
    else if (v === '--runs') a.runs = Math.max(1, Number(argv[++i]) || 5);
    else if (v === '--only') a.only = argv[++i];
    else if (v === '--bits') {
      const b = argv[++i];
      a.widths = b === '32' ? [4] : b === '16' ? [2] : [4, 2];
    } else if (v === '--help' || v === '-h') {
      process.stdout.write(
        'usage: npm run bench:codecs -- [--quick] [--runs N] [--only NAME] [--out FILE]\n' +
          '  --quick    1 MiB tensors and 2 runs (a smoke test, not a measurement)\n' +
          '  --runs N   timed runs per measurement after one warm-up (default 5)\n' +
          '  --only S   only the contenders whose name contains S (memcpy always runs)\n' +
          '  --bits B   32, 16 or both (default both; 16-bit rows are zvc only)\n' +
          '  --out FILE where to write the JSON results (default bench/results/codecs.json)\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument '${v}' (try --help)`);
  }
  if (a.quick && !argv.includes('--runs')) a.runs = 2;
  return a;
}

const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.length);

/** Optional peers: loaded if installed, else skipped with the reason. */
function loadPeers(skipped: string[]): Contender[] {
  const require = createRequire(import.meta.url);
  const peers: Contender[] = [
    {
      name: 'node:zlib deflate 1',
      kind: 'peer',
      general: true,
      encode: (src) => deflateRawSync(src, { level: 1 }),
      decode: (enc, out) => {
        out.set(inflateRawSync(enc));
        return out;
      },
    },
  ];
  try {
    const lz4 = require('lz4-napi') as {
      compressSync(b: Buffer): Buffer;
      uncompressSync(b: Uint8Array): Buffer;
    };
    peers.push({
      name: 'lz4-napi',
      kind: 'peer',
      general: true,
      encode: (src) => lz4.compressSync(buf(src)),
      decode: (enc, out) => {
        out.set(lz4.uncompressSync(enc));
        return out;
      },
    });
  } catch (e) {
    skipped.push(`lz4-napi: cannot load (${(e as Error).message.split('\n')[0]})`);
  }
  try {
    const zstd = require('zstd-napi') as {
      Compressor: new () => {
        setParameters(p: { compressionLevel: number }): void;
        compress(b: Uint8Array): Buffer;
      };
      Decompressor: new () => { decompress(b: Uint8Array): Buffer };
    };
    const c = new zstd.Compressor();
    c.setParameters({ compressionLevel: 1 });
    const d = new zstd.Decompressor();
    peers.push({
      name: 'zstd-napi 1',
      kind: 'peer',
      general: true,
      encode: (src) => c.compress(src),
      decode: (enc, out) => {
        out.set(d.decompress(enc));
        return out;
      },
    });
  } catch (e) {
    skipped.push(`zstd-napi: cannot load (${(e as Error).message.split('\n')[0]})`);
  }
  return peers;
}

/**
 * zvc kernels on data already in the kernel's heap (how tfjs-wasm tensors
 * would be compressed): the current kernels, or the first ones (zvc-v1).
 */
function inHeapZvc(bytes: number, kernels: 'zvc' | 'zvc-v1'): Contender | undefined {
  const z = ZvcWasm.create({ kernels });
  if (z === undefined) return undefined;
  const src = z.scratch;
  const dst = src + Math.ceil(bytes / 64) * 64;
  const back = dst + Math.ceil((zvcMaxSize(bytes / 4, 4) + 16) / 64) * 64;
  z.ensureMemory(back + bytes + 64);
  let encLen = 0;
  return {
    name: kernels === 'zvc' ? 'zvc wasm (in heap)' : 'zvc-v1 wasm (in heap, before)',
    kind: 'cdma',
    general: false,
    widths: [4, 2],
    prepare: (data) => new Uint8Array(z.memory.buffer).set(data, src),
    encode: (data, eb) => {
      encLen = z.encodeAt(src, data.length / eb, eb, dst);
      return new Uint8Array(z.memory.buffer, dst, encLen);
    },
    decode: (_enc, out, eb) => {
      z.decodeAt(dst, encLen, out.length / eb, eb, back);
      return new Uint8Array(z.memory.buffer, back, out.length);
    },
  };
}

function cdmaContenders(bytes: number): Contender[] {
  const list: Contender[] = [];
  const heap = inHeapZvc(bytes, 'zvc');
  const before = inHeapZvc(bytes, 'zvc-v1');
  if (before) list.push(before);
  if (heap) list.push(heap);
  const viaApi = (name: string, id: string, params = {}, zvcImpl?: 'wasm' | 'ts'): Contender => {
    const codec = getCodec(id, params, { zvcImpl });
    const out = new Uint8Array(codec.maxEncodedSize(bytes, 4));
    return {
      name,
      kind: 'cdma',
      general: id === 'zlib',
      widths: id === 'zvc' ? [4, 2] : [4],
      encode: (src, eb) => codec.encode(src, eb, out),
      decode: (enc, target, eb) => codec.decode(enc, eb, target.length, target),
    };
  };
  if (heap) list.push(viaApi('zvc wasm (Uint8Array API)', 'zvc', {}, 'wasm'));
  list.push(viaApi('zvc ts', 'zvc', {}, 'ts'));
  list.push(viaApi('rle (8/8)', 'rle'));
  list.push(viaApi('zlib 6', 'zlib', { level: 6 }));
  return list;
}

function measure(
  c: Contender,
  src: Uint8Array,
  eb: 2 | 4,
  copy: Uint8Array,
  back: Uint8Array,
  runs: number,
): Omit<Row, 'pattern' | 'bits' | 'density' | 'measuredDensity'> {
  c.prepare?.(src, eb);
  // Warm-up, and the bit-exact check.
  const enc = c.encode(src, eb).slice();
  back.fill(0xa5);
  const dec = c.decode(enc, back, eb);
  if (Buffer.compare(buf(dec), buf(src)) !== 0) throw new Error(`${c.name}: round trip differs`);
  const memcpy = (): void => copy.set(src);
  const te: number[] = [];
  const td: number[] = [];
  const re: number[] = [];
  const rd: number[] = [];
  for (let r = 0; r < runs; r++) {
    const m1 = timeOnce(memcpy);
    const e = timeOnce(() => c.encode(src, eb));
    const m2 = timeOnce(memcpy);
    const d = timeOnce(() => c.decode(enc, back, eb));
    te.push(e);
    td.push(d);
    re.push(m1 / e);
    rd.push(m2 / d);
  }
  return {
    codec: c.name,
    kind: c.kind,
    ratio: src.length / enc.length,
    compressGBs: gbPerSecond(src.length, median(te)),
    decompressGBs: gbPerSecond(src.length, median(td)),
    compressVsMemcpy: median(re),
    decompressVsMemcpy: median(rd),
  };
}

function memcpyRow(src: Uint8Array, copy: Uint8Array, runs: number): Row['compressGBs'] {
  copy.set(src);
  const t: number[] = [];
  for (let r = 0; r < runs; r++) t.push(timeOnce(() => copy.set(src)));
  return gbPerSecond(src.length, median(t));
}

const f2 = (x: number): string => x.toFixed(2);

/** The 16-bit patterns of a float32 tensor's upper halves (its bfloat16 truncation; zeros stay zeros). */
function upperHalves(x: Float32Array): Uint8Array {
  const w = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const h = new Uint16Array(x.length);
  for (let i = 0; i < w.length; i++) h[i] = w[i] >>> 16;
  return new Uint8Array(h.buffer);
}

function markdown(rows: Row[]): string {
  const lines = [
    '| zeros | bits | density | codec | ratio | compress GB/s | × memcpy | decompress GB/s | × memcpy |',
    '| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.pattern} | ${r.bits} | ${(r.measuredDensity * 100).toFixed(0)}% | ${r.codec} | ${f2(r.ratio)} | ${f2(r.compressGBs)} | ${f2(r.compressVsMemcpy)} | ${f2(r.decompressGBs)} | ${f2(r.decompressVsMemcpy)} |`,
    );
  return lines.join('\n');
}

/** The kernels before (zvc-v1) and after, side by side: × memcpy from the same runs. */
function beforeAfter(rows: Row[]): string | undefined {
  const after = rows.filter((r) => r.codec === 'zvc wasm (in heap)');
  const lines = [
    '| zeros | bits | density | encode × memcpy, before → after | decode × memcpy, before → after |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const a of after) {
    const b = rows.find(
      (r) =>
        r.codec === 'zvc-v1 wasm (in heap, before)' &&
        r.pattern === a.pattern &&
        r.bits === a.bits &&
        r.density === a.density,
    );
    if (!b) continue;
    lines.push(
      `| ${a.pattern} | ${a.bits} | ${(a.density * 100).toFixed(0)}% | ${f2(b.compressVsMemcpy)} → ${f2(a.compressVsMemcpy)} | ${f2(b.decompressVsMemcpy)} → ${f2(a.decompressVsMemcpy)} |`,
    );
  }
  return lines.length > 2 ? lines.join('\n') : undefined;
}

interface TargetCheck {
  target: string;
  codec: string;
  met: boolean;
  detail: string;
}

/** The targets, evaluated on this run's rows. */
function targets(rows: Row[], generalNames: Set<string>): TargetCheck[] {
  const checks: TargetCheck[] = [];
  // Issue 11: the kernels in their heap, 32- and 16-bit, i.i.d. and clustered zeros.
  for (const codec of ['zvc wasm (in heap)', 'zvc-v1 wasm (in heap, before)']) {
    const mine = rows.filter((r) => r.codec === codec && r.density <= 0.5);
    if (mine.length === 0) continue;
    const worst = (pick: (r: Row) => number): string => {
      const w = mine.reduce((a, r) => (pick(r) < pick(a) ? r : a));
      return `worst ${f2(pick(w))}x (${w.pattern} ${w.bits}-bit ${(w.density * 100).toFixed(0)}%)`;
    };
    const enc = Math.min(...mine.map((r) => r.compressVsMemcpy));
    const dec = Math.min(...mine.map((r) => r.decompressVsMemcpy));
    checks.push({
      target: 'encode >= 1.0x memcpy at densities <= 50%',
      codec,
      met: enc >= 1.0,
      detail: worst((r) => r.compressVsMemcpy),
    });
    checks.push({
      target: 'decode >= 1.3x memcpy at densities <= 50%',
      codec,
      met: dec >= 1.3,
      detail: worst((r) => r.decompressVsMemcpy),
    });
  }
  if (!rows.some((r) => generalNames.has(r.codec))) return checks;
  for (const codec of ['zvc wasm (in heap)', 'zvc wasm (Uint8Array API)']) {
    const details: string[] = [];
    let met = true;
    for (const z of rows.filter((r) => r.codec === codec && r.pattern === 'iid' && r.bits === 32)) {
      const same = rows.filter(
        (r) => r.pattern === z.pattern && r.density === z.density && r.bits === 32,
      );
      // General-purpose codecs ZVC matches or beats on ratio; ZVC must be 5x the fastest of them.
      const rivals = same.filter((r) => generalNames.has(r.codec) && r.ratio <= z.ratio);
      if (rivals.length === 0) {
        details.push(`${(z.density * 100).toFixed(0)}%: every general codec has a better ratio`);
        met = false;
        continue;
      }
      const fastC = Math.max(...rivals.map((r) => r.compressGBs));
      const fastD = Math.max(...rivals.map((r) => r.decompressGBs));
      const sc = z.compressGBs / fastC;
      const sd = z.decompressGBs / fastD;
      met &&= sc >= 5 && sd >= 5;
      details.push(`${(z.density * 100).toFixed(0)}%: ${f2(sc)}x / ${f2(sd)}x`);
    }
    if (details.length > 0)
      checks.push({
        target:
          '>= 5x the fastest general codec of equal or worse ratio (i.i.d.; compress / decompress)',
        codec,
        met,
        detail: details.join(', '),
      });
  }
  return checks;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  // 5350 maps of 56x56 float32 = 64.0 MiB; --quick: 84 maps = 1.0 MiB.
  const maps = args.quick ? 84 : 5350;
  const shape: [number, number, number, number] = [1, maps, 56, 56];
  const bytes = maps * 56 * 56 * 4;
  const skipped: string[] = [];
  const contenders = [...cdmaContenders(bytes), ...loadPeers(skipped)].filter(
    (c) => args.only === undefined || c.name.includes(args.only),
  );
  if (ZvcWasm.create() === undefined)
    skipped.push(
      'zvc wasm: no WebAssembly SIMD here or build/wasm/zvc.wasm missing (npm run build)',
    );
  const generalNames = new Set(contenders.filter((c) => c.general).map((c) => c.name));
  const rows: Row[] = [];
  process.stderr.write(
    `bench:codecs: ${(bytes / 2 ** 20).toFixed(1)} MiB float32 tensors (16-bit: half), ${args.runs} runs after 1 warm-up\n`,
  );
  for (const s of skipped) process.stderr.write(`  skipped ${s}\n`);
  for (const pattern of ['iid', 'clustered'] as const) {
    for (const density of [0.1, 0.3, 0.5, 0.7]) {
      const x = reluSample({ shape, density, pattern, seed: 2018 });
      for (const eb of args.widths) {
        const bits = eb === 4 ? 32 : 16;
        const src = eb === 4 ? new Uint8Array(x.buffer) : upperHalves(x);
        const copy = new Uint8Array(src.length);
        const back = new Uint8Array(src.length);
        const measuredDensity = countNonZero(src, eb) / x.length;
        const limit = memcpyRow(src, copy, args.runs);
        rows.push({
          pattern,
          bits,
          density,
          measuredDensity,
          codec: 'memcpy (TypedArray.set)',
          kind: 'limit',
          ratio: 1,
          compressGBs: limit,
          decompressGBs: limit,
          compressVsMemcpy: 1,
          decompressVsMemcpy: 1,
        });
        for (const c of contenders) {
          if (!(c.widths ?? [4]).includes(eb)) continue;
          process.stderr.write(`  ${pattern} ${bits}-bit ${density * 100}% ${c.name}...\n`);
          rows.push({
            pattern,
            bits,
            density,
            measuredDensity,
            ...measure(c, src, eb, copy, back, args.runs),
          });
        }
      }
    }
  }
  const checks = targets(rows, generalNames);
  process.stdout.write(`${markdown(rows)}\n\n`);
  const ba = beforeAfter(rows);
  if (ba) process.stdout.write(`Kernels in their heap, before (zvc-v1) and after:\n\n${ba}\n\n`);
  if (args.quick)
    process.stdout.write(
      '(--quick: 1 MiB tensors fit in cache; a smoke test, not a measurement)\n',
    );
  for (const c of checks)
    process.stdout.write(`- ${c.met ? 'met' : 'NOT met'}: ${c.codec}: ${c.target} (${c.detail})\n`);
  for (const s of skipped) process.stdout.write(`- skipped ${s}\n`);
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    memoryBytes: totalmem(),
    quick: args.quick,
    tensorBytes: bytes,
    shape,
    loadAverage: loadavg(),
    runs: args.runs,
    warmup: 1,
    skipped,
    rows,
    targets: checks,
  };
  prepareOutputDir(dirname(args.out), 'results folder');
  writeOutput(args.out, JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(`\nwrote ${args.out}\n`);
}

main();
