/**
 * `cdma demo`: the codecs on a built-in sample. Builds a seeded ReLU-like
 * activation tensor (N x 64 x 56 x 56 float32, clustered zeros at 35% density
 * by default), compresses it with every codec in every layout, checks each
 * round trip bit for bit, and prints ratio and GB/s per codec and layout.
 */
import type { Command } from 'commander';
import { CdmaError, InvalidArgumentError } from '../../errors.js';
import { parseInteger, parseNumber } from '../../io/numbers.js';
import type { Codec, CodecId } from '../../codec/codec.js';
import { LAYOUTS, permuteShape, transpose, type Layout } from '../../codec/layout.js';
import { gbPerSecond, medianSeconds } from '../../codec/measure.js';
import { countNonZero } from '../../codec/nonzero.js';
import { CODEC_IDS, getCodec } from '../../codec/registry.js';
import { reluSample, type ZeroPattern } from '../../codec/sample.js';
import { jsonHelp } from '../json-output.js';

interface DemoOptions {
  density: string;
  pattern: string;
  batch: string;
  seed: string;
  runs: string;
  json?: boolean;
}

interface DemoRow {
  codec: CodecId;
  impl?: string;
  layout: Layout;
  bytes: number;
  compressedBytes: number;
  ratio: number;
  compressGBs: number;
  decompressGBs: number;
  roundTrip: 'ok';
}

const SHAPE_CHW = [64, 56, 56] as const;

function measure(codec: Codec, src: Uint8Array, runs: number): Omit<DemoRow, 'codec' | 'layout'> {
  const out = new Uint8Array(codec.maxEncodedSize(src.length, 4));
  const enc = codec.encode(src, 4, out).slice();
  const back = new Uint8Array(src.length);
  codec.decode(enc, 4, src.length, back);
  if (Buffer.compare(back, src) !== 0)
    throw new CdmaError('ROUND_TRIP', `${codec.id} did not give the original bytes back`);
  const tc = medianSeconds(() => codec.encode(src, 4, out), runs);
  const td = medianSeconds(() => codec.decode(enc, 4, src.length, back), runs);
  return {
    impl: 'impl' in codec ? String(codec.impl) : undefined,
    bytes: src.length,
    compressedBytes: enc.length,
    ratio: enc.length === 0 ? 1 : src.length / enc.length,
    compressGBs: gbPerSecond(src.length, tc),
    decompressGBs: gbPerSecond(src.length, td),
    roundTrip: 'ok',
  };
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i].length)));
  const line = (r: string[]): string =>
    r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function runDemo(o: DemoOptions): { header: Record<string, unknown>; rows: DemoRow[] } {
  const density = parseNumber('--density', o.density, { min: 0, max: 1 });
  const batch = parseInteger('--batch', o.batch, { min: 1, max: 256 });
  const seed = parseInteger('--seed', o.seed, { min: 0, max: 2 ** 32 - 1 });
  const runs = parseInteger('--runs', o.runs, { min: 1, max: 100 });
  if (o.pattern !== 'iid' && o.pattern !== 'clustered')
    throw new InvalidArgumentError(`--pattern must be iid or clustered, got '${o.pattern}'`);
  const pattern: ZeroPattern = o.pattern;
  const shape = [batch, ...SHAPE_CHW] as [number, number, number, number];
  const x = reluSample({ shape, density, pattern, seed });
  const raw = new Uint8Array(x.buffer);
  const rows: DemoRow[] = [];
  for (const id of CODEC_IDS) {
    const codec = getCodec(id);
    for (const layout of LAYOUTS) {
      const stored = transpose(raw, 4, shape, 'nchw', layout);
      const r = measure(codec, stored, runs);
      const back = transpose(stored, 4, permuteShape(shape, 'nchw', layout), layout, 'nchw');
      if (Buffer.compare(back, raw) !== 0)
        throw new CdmaError('ROUND_TRIP', `layout ${layout} did not give the original bytes back`);
      rows.push({ codec: id, layout, ...r });
    }
  }
  const header = {
    shape,
    dtype: 'float32',
    bytes: raw.length,
    pattern,
    density: countNonZero(raw, 4) / x.length,
    seed,
    runs,
  };
  return { header, rows };
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .summary('compress a built-in sample activation with every codec and layout; print ratios')
    .description(
      'compress a built-in seeded ReLU-like activation tensor with every codec and layout, ' +
        'check each round trip bit for bit, and print ratio and GB/s per codec',
    )
    .option('--density <d>', 'fraction of non-zero elements, 0 to 1', '0.35')
    .option(
      '--pattern <p>',
      "where the zeros are: 'clustered' (smooth blobs per 56x56 map) or 'iid'",
      'clustered',
    )
    .option('--batch <n>', 'batch size N of the N x 64 x 56 x 56 tensor', '4')
    .option('--seed <n>', 'seed of the sample tensor', '1')
    .option('--runs <n>', 'timed runs per measurement (the median is shown)', '3')
    .option('--json', jsonHelp('the results'))
    .action((o: DemoOptions) => {
      const { header, rows } = runDemo(o);
      if (o.json) {
        process.stdout.write(JSON.stringify({ ...header, results: rows }, null, 2) + '\n');
        return;
      }
      const shape = (header.shape as number[]).join('x');
      process.stdout.write(
        `cdma demo: ReLU-like activation ${shape} float32 (${((header.bytes as number) / 2 ** 20).toFixed(1)} MiB), ` +
          `${header.pattern} zeros, density ${((header.density as number) * 100).toFixed(1)}%, seed ${header.seed}\n\n`,
      );
      const body = rows.map((r) => [
        r.impl ? `${r.codec} (${r.impl})` : r.codec,
        r.layout,
        `${r.ratio.toFixed(2)}x`,
        r.compressGBs.toFixed(2),
        r.decompressGBs.toFixed(2),
        r.roundTrip,
      ]);
      process.stdout.write(
        table(
          ['codec', 'layout', 'ratio', 'compress GB/s', 'decompress GB/s', 'round trip'],
          body,
        ) + '\n\n',
      );
      process.stdout.write(
        'ratio = raw bytes / codec payload bytes (container framing excluded); GB/s = raw bytes per\n' +
          `second, median of ${header.runs} runs, codec only (the tensor is given in each layout).\n` +
          'ZVC does not depend on the layout; RLE and zlib do. Benchmark: npm run bench:codecs\n',
      );
    });
}
