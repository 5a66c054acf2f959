/**
 * Container overhead benchmark (npx tsx bench/container.ts [--quick]).
 *
 * What the container (headers, CRC-32 per chunk, chunking, the exact-size
 * copy of compress()) costs on top of the bare codec, on seeded 64 MiB
 * ReLU-like float32 tensors with i.i.d. zeros. Per timed run, in the same
 * process: memcpy (TypedArray.set, the physical limit), the codec alone into
 * a preallocated buffer, compressInto (preallocated), compress (allocating),
 * and the same for decoding. Prints medians of the runs (after warm-up) and
 * the container/codec ratio of each run's medians.
 */
import {
  type CompressOptions,
  compress,
  compressInto,
  decompress,
  decompressInto,
  maxCompressedSize,
} from '../src/codec/api.js';
import type { CodecParams } from '../src/codec/codec.js';
import { getCodec } from '../src/codec/registry.js';
import { gbPerSecond, median, timeOnce } from '../src/codec/measure.js';
import { reluSample } from '../src/codec/sample.js';

const quick = process.argv.includes('--quick');
const SHAPE: [number, number, number, number] = quick ? [4, 64, 56, 56] : [16, 64, 128, 128];
const RUNS = quick ? 3 : 7;

interface Timing {
  name: string;
  seconds: number[];
}

function run(name: string, fn: () => unknown, into: Timing[]): void {
  let t = into.find((x) => x.name === name);
  if (!t) into.push((t = { name, seconds: [] }));
  t.seconds.push(timeOnce(fn));
}

const rows: string[] = [];
for (const codecId of ['zvc', 'zlib'] as const) {
  for (const density of codecId === 'zvc' ? [0.1, 0.5] : [0.5]) {
    const data = reluSample({ shape: SHAPE, density, pattern: 'iid', seed: 42 });
    const raw = new Uint8Array(data.buffer);
    const params: CodecParams = codecId === 'zlib' ? { level: 1 } : {};
    const opts: CompressOptions = { codec: codecId, params };
    const bare = getCodec(codecId, params);
    const copy = new Uint8Array(raw.length);
    const enc = new Uint8Array(bare.maxEncodedSize(raw.length, 4));
    const out = new Uint8Array(maxCompressedSize(data, opts));
    const back = new Float32Array(data.length);
    const container = compress(data, opts);
    const payload = bare.encode(raw, 4, enc).slice();
    const t: Timing[] = [];
    for (let r = -1; r < RUNS; r++) {
      const timings: Timing[] = r < 0 ? [] : t; // run -1 warms up
      run('memcpy', () => copy.set(raw), timings);
      run('codec encode', () => bare.encode(raw, 4, enc), timings);
      run('compressInto', () => compressInto(data, opts, out), timings);
      run('compress', () => compress(data, opts), timings);
      run('codec decode', () => bare.decode(payload, 4, raw.length, copy), timings);
      run('decompressInto', () => decompressInto(container, back), timings);
      run('decompress', () => decompress(container), timings);
    }
    const gb = (name: string): number =>
      gbPerSecond(raw.length, median(t.find((x) => x.name === name)!.seconds));
    const ratio = raw.length / container.length;
    const line =
      `| ${codecId} | ${(density * 100).toFixed(0)}% | ${ratio.toFixed(2)} | ${gb('memcpy').toFixed(2)} | ` +
      `${gb('codec encode').toFixed(2)} | ${gb('compressInto').toFixed(2)} (${(gb('compressInto') / gb('codec encode')).toFixed(2)}x) | ` +
      `${gb('compress').toFixed(2)} | ${gb('codec decode').toFixed(2)} | ` +
      `${gb('decompressInto').toFixed(2)} (${(gb('decompressInto') / gb('codec decode')).toFixed(2)}x) | ${gb('decompress').toFixed(2)} |`;
    rows.push(line);
    console.error(line);
  }
}
console.log(
  `\nContainer overhead, ${(SHAPE.reduce((a, d) => a * d, 4) / 2 ** 20).toFixed(0)} MiB float32, i.i.d. zeros, 1 MiB chunks, GB/s (median of ${RUNS} runs; in parentheses container / bare codec)\n`,
);
console.log(
  '| codec | density | ratio | memcpy | codec encode | compressInto | compress | codec decode | decompressInto | decompress |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
