/**
 * `npm run probe`: runs the built CLI (dist/) on well over 100 bad inputs
 * spread over every command and checks, for each, that cdma
 * - refuses it (exit status not 0, or the documented quiet 141 for a closed pipe),
 * - says why in one `cdma:` line, with no stack trace and no internal error,
 * - ends within the time limit (no hang),
 * - leaves every protected file (inputs, /dev/null) as it was, and no
 *   temporary file or spill folder behind.
 * Prints one row per case and a table per class; exits 1 if any case fails.
 * Options: --filter TEXT (cases whose name contains it), --jobs N (default 2).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { compress } from '../src/codec/api.js';
import { encodeNpy } from '../src/io/npy.js';

const CLI = join(process.cwd(), 'dist/src/cli/main.js');
const TIMEOUT_MS = 120_000;

type Kind =
  | 'outputs destroy'
  | 'unbounded reads'
  | 'garbage accepted'
  | 'options ignored'
  | 'left behind'
  | 'bad numbers'
  | 'one convention';

interface Case {
  readonly name: string;
  readonly kind: Kind;
  readonly args: readonly string[];
  /** Files that must be byte-identical (and the same inode) afterwards. */
  readonly protect?: readonly string[];
  /** `epipe`: stdout is closed after the first chunk; quiet exit 141 expected. */
  readonly mode?: 'epipe';
  /** Folder that must be empty afterwards (spill folders). */
  readonly empty?: string;
}

const root = mkdtempSync(join(tmpdir(), 'cdma-probe-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, () => process.exit(130));
const p = (...parts: string[]) => join(root, ...parts);

// ---------- fixtures ----------
function npyFloat(n: number): Uint8Array {
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = i % 3 === 0 ? 0 : i / 7;
  return encodeNpy({ dtype: 'float32', shape: [n], data: new Uint8Array(data.buffer) });
}
function png(w: number, h: number): Buffer {
  const img = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h * 4; i++) img.data[i] = (i * 37) & 0xff;
  return PNG.sync.write(img);
}
function jpg(w: number, h: number): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 13) & 0xff;
  return Buffer.from(jpeg.encode({ data, width: w, height: h }, 90).data);
}
function idx(dims: number[], data: Uint8Array): Buffer {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h[2] = 8;
  h[3] = dims.length;
  dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([h, data]);
}
/** A PNG chunk with its CRC. */
function pngWithoutIdat(src: Buffer): Buffer {
  const out: Buffer[] = [src.subarray(0, 8)];
  for (let o = 8; o < src.length;) {
    const len = src.readUInt32BE(o);
    const type = src.toString('latin1', o + 4, o + 8);
    if (type !== 'IDAT') out.push(src.subarray(o, o + 12 + len));
    o += 12 + len;
  }
  return Buffer.concat(out);
}
function imageFolder(name: string, bad: { file: string; bytes: Buffer }): string {
  const dir = p(name);
  for (const c of ['a', 'b']) {
    mkdirSync(join(dir, 'train', c), { recursive: true });
    mkdirSync(join(dir, 'test', c), { recursive: true });
    for (let i = 0; i < 3; i++) writeFileSync(join(dir, 'train', c, `${i}.png`), png(8, 8));
    writeFileSync(join(dir, 'test', c, '0.png'), png(8, 8));
  }
  writeFileSync(join(dir, 'train', 'a', bad.file), bad.bytes);
  return `images:${dir}`;
}
function idxFolder(name: string, labels: Buffer, images?: Buffer): string {
  const dir = p(name);
  mkdirSync(dir);
  const img = images ?? gzipSync(idx([4, 2, 2], new Uint8Array(16)));
  for (const s of ['train', 't10k']) {
    writeFileSync(join(dir, `${s}-images-idx3-ubyte.gz`), img);
    writeFileSync(
      join(dir, `${s}-labels-idx1-ubyte.gz`),
      s === 'train' ? labels : gzipSync(idx([4], Uint8Array.from([0, 1, 0, 1]))),
    );
  }
  return `idx:${dir}`;
}

const good = p('good.npy');
writeFileSync(good, npyFloat(4096));
const goodCdma = p('good.cdma');
writeFileSync(
  goodCdma,
  compress(
    new Float32Array(4096).map((_, i) => (i % 2 ? i : 0)),
    { codec: 'zvc' },
  ),
);
const manyCdma = p('many.cdma');
writeFileSync(
  manyCdma,
  compress(
    new Float32Array(1 << 20).map((_, i) => (i % 2 ? i : 0)),
    { codec: 'zvc', chunkBytes: 4096 },
  ),
);
const bigCdma = p('big.cdma');
writeFileSync(
  bigCdma,
  compress(
    new Float32Array(1 << 18).map((_, i) => (i % 2 ? i : 0)),
    { codec: 'zvc', chunkBytes: 4096 },
  ),
);
linkSync(good, p('hard.npy'));
symlinkSync(good, p('soft.npy'));
const fifo = p('fifo');
execFileSync('mkfifo', [fifo]);
symlinkSync(p('loop'), p('loop'));
writeFileSync(p('afile'), 'not a folder');
writeFileSync(p('empty'), '');
writeFileSync(p('text.txt'), 'hello, not a tensor\n');
const truncCdma = p('trunc.cdma');
writeFileSync(truncCdma, readFileSync(goodCdma).subarray(0, 40));
const flipCdma = p('flip.cdma');
{
  const b = Buffer.from(readFileSync(goodCdma));
  b[b.length - 10] ^= 0x55;
  writeFileSync(flipCdma, b);
}
const truncNpy = p('trunc.npy');
writeFileSync(truncNpy, readFileSync(good).subarray(0, 200));
const forgedNpy = p('forged.npy');
{
  const hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (4000000000, 4000000000), }";
  const pad = 64 - ((10 + hdr.length + 1) % 64);
  const h = Buffer.from(`${hdr}${' '.repeat(pad)}\n`, 'latin1');
  const pre = Buffer.from([
    0x93,
    0x4e,
    0x55,
    0x4d,
    0x50,
    0x59,
    1,
    0,
    h.length & 0xff,
    h.length >> 8,
  ]);
  writeFileSync(forgedNpy, Buffer.concat([pre, h, Buffer.alloc(16)]));
}
const ratios = (name: string, v: unknown) => {
  writeFileSync(p(name), typeof v === 'string' ? v : JSON.stringify(v));
  return p(name);
};
const zeroBomb = gzipSync(
  Buffer.concat([idx([4], Uint8Array.from([0, 1, 0, 1])), Buffer.alloc(64 << 20)]),
);
const hugeDeclared = gzipSync(idx([2_000_000, 28, 28], new Uint8Array(200 * 784)));
const halfPng = (() => {
  const b = png(64, 64);
  return b.subarray(0, Math.floor(b.length / 2));
})();
const cifarDir = p('cifar');
mkdirSync(cifarDir);
for (const n of ['data_batch_1.bin', 'test_batch.bin'])
  writeFileSync(join(cifarDir, n), Buffer.alloc(3073 * 2 + 100));
writeFileSync(join(cifarDir, 'batches.meta.txt'), 'a\nb\n');

const tfjsDir = p('tfjs');
mkdirSync(tfjsDir);
writeFileSync(
  join(tfjsDir, 'model.json'),
  JSON.stringify({
    format: 'layers-model',
    modelTopology: {
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          {
            class_name: 'Conv2D',
            config: {
              name: 'c',
              filters: 2,
              kernel_size: [3, 3],
              activation: 'relu',
              batch_input_shape: [null, 8, 8, 3],
            },
          },
          { class_name: 'Flatten', config: { name: 'f' } },
          { class_name: 'Dense', config: { name: 'd', units: 2 } },
        ],
      },
    },
  }),
);
const imgs = p('imgs');
mkdirSync(imgs);
writeFileSync(join(imgs, 'a.png'), png(8, 8));
const outsideShard = p('outside.bin');
writeFileSync(outsideShard, Buffer.alloc(4 * (3 * 3 * 3 * 2 + 2 + 72 * 2 + 2)));
const tfjsSym = p('tfjs-sym');
mkdirSync(tfjsSym);
{
  const m = JSON.parse(readFileSync(join(tfjsDir, 'model.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const weights = [
    { name: 'c/kernel', shape: [3, 3, 3, 2], dtype: 'float32' },
    { name: 'c/bias', shape: [2], dtype: 'float32' },
    { name: 'd/kernel', shape: [72, 2], dtype: 'float32' },
    { name: 'd/bias', shape: [2], dtype: 'float32' },
  ];
  writeFileSync(
    join(tfjsSym, 'model.json'),
    JSON.stringify({ ...m, weightsManifest: [{ paths: ['w.bin'], weights }] }),
  );
  symlinkSync(outsideShard, join(tfjsSym, 'w.bin'));
  const dup = p('tfjs-dup');
  mkdirSync(dup);
  writeFileSync(
    join(dup, 'model.json'),
    JSON.stringify({ ...m, weightsManifest: [{ paths: ['w.bin', 'w.bin'], weights }] }),
  );
  writeFileSync(join(dup, 'w.bin'), Buffer.alloc(readFileSync(outsideShard).length / 2));
  const short = p('tfjs-short');
  mkdirSync(short);
  writeFileSync(
    join(short, 'model.json'),
    JSON.stringify({ ...m, weightsManifest: [{ paths: ['w.bin'], weights }] }),
  );
  writeFileSync(join(short, 'w.bin'), Buffer.alloc(40));
}
const studyOutFile = p('study-out-file');
writeFileSync(studyOutFile, 'x');
const studyBad = p('study-bad');
mkdirSync(studyBad);
writeFileSync(join(studyBad, 'results.json'), '{"version": 1, "models": [');
const spillDir = p('spill');
mkdirSync(spillDir);

// ---------- cases ----------
const T = [
  'train',
  '--model',
  'nin-small',
  '--batch',
  '8',
  '--steps',
  '2',
  '--limit',
  '16',
  '--test-limit',
  '20',
  '--quiet',
];
const C = ['compare', '--model', 'nin-small', '--batch', '8', '--steps', '2', '--quiet'];
const S = ['simulate', '--model', 'vgg16', '--no-layers'];
const Y = ['study', '--models', 'nin', '--steps', '2', '--batch', '8', '--limit', '16', '--quiet'];
const TF = ['study', '--tfjs-model', join(tfjsDir, 'model.json'), '--images', imgs, '--quiet'];

const cases: Case[] = [
  // compress
  {
    name: 'compress: output is the input',
    kind: 'outputs destroy',
    args: ['compress', good, good],
    protect: [good],
  },
  {
    name: 'compress: output is ./input',
    kind: 'outputs destroy',
    args: ['compress', good, `${root}/./good.npy`],
    protect: [good],
  },
  {
    name: 'compress: output is a hard link of the input',
    kind: 'outputs destroy',
    args: ['compress', good, p('hard.npy')],
    protect: [good],
  },
  {
    name: 'compress: output is a symlink to the input',
    kind: 'outputs destroy',
    args: ['compress', good, p('soft.npy')],
    protect: [good],
  },
  {
    name: 'compress: output is /dev/null',
    kind: 'outputs destroy',
    args: ['compress', good, '/dev/null'],
    protect: ['/dev/null'],
  },
  {
    name: 'compress: output is a FIFO',
    kind: 'outputs destroy',
    args: ['compress', good, fifo],
    protect: [fifo],
  },
  { name: 'compress: output is a folder', kind: 'outputs destroy', args: ['compress', good, root] },
  {
    name: 'compress: output folder missing',
    kind: 'outputs destroy',
    args: ['compress', good, p('no', 'x.cdma')],
  },
  {
    name: 'compress: output is a link loop',
    kind: 'outputs destroy',
    args: ['compress', good, p('loop')],
  },
  {
    name: 'compress: input missing',
    kind: 'garbage accepted',
    args: ['compress', p('nope.npy'), p('o1.cdma')],
  },
  {
    name: 'compress: input is a folder',
    kind: 'garbage accepted',
    args: ['compress', root, p('o2.cdma')],
  },
  {
    name: 'compress: input is /dev/zero',
    kind: 'unbounded reads',
    args: ['compress', '/dev/zero', p('o3.cdma')],
  },
  {
    name: 'compress: input is a FIFO',
    kind: 'unbounded reads',
    args: ['compress', fifo, p('o4.cdma')],
  },
  {
    name: 'compress: empty input',
    kind: 'garbage accepted',
    args: ['compress', p('empty'), p('o5.cdma')],
  },
  {
    name: 'compress: text input',
    kind: 'garbage accepted',
    args: ['compress', p('text.txt'), p('o6.cdma')],
  },
  {
    name: 'compress: truncated .npy',
    kind: 'garbage accepted',
    args: ['compress', truncNpy, p('o7.cdma')],
  },
  {
    name: 'compress: forged huge .npy shape',
    kind: 'unbounded reads',
    args: ['compress', forgedNpy, p('o8.cdma')],
  },
  {
    name: 'compress: --level beside --param level=',
    kind: 'options ignored',
    args: ['compress', '--codec', 'zlib', '--level', '3', '--param', 'level=5', good, p('o9.cdma')],
  },
  {
    name: 'compress: --level with rle',
    kind: 'options ignored',
    args: ['compress', '--codec', 'rle', '--level', '3', good, p('o10.cdma')],
  },
  {
    name: 'compress: unknown --param',
    kind: 'options ignored',
    args: ['compress', '--codec', 'zlib', '--param', 'speed=3', good, p('o11.cdma')],
  },
  {
    name: 'compress: --param out of range',
    kind: 'bad numbers',
    args: ['compress', '--codec', 'zlib', '--param', 'level=99', good, p('o12.cdma')],
  },
  {
    name: 'compress: --chunk-size 0',
    kind: 'bad numbers',
    args: ['compress', '--chunk-size', '0', good, p('o13.cdma')],
  },
  {
    name: 'compress: --chunk-size huge',
    kind: 'bad numbers',
    args: ['compress', '--chunk-size', '1e30', good, p('o14.cdma')],
  },
  {
    name: 'compress: unknown codec',
    kind: 'options ignored',
    args: ['compress', '--codec', 'lzma', good, p('o15.cdma')],
  },
  {
    name: 'compress: --bfloat16 on float32',
    kind: 'options ignored',
    args: ['compress', '--bfloat16', good, p('o16.cdma')],
  },
  {
    name: 'compress: --layout on a 1-D tensor',
    kind: 'options ignored',
    args: ['compress', '--layout', 'nchw', good, p('o17.cdma')],
  },
  // decompress
  {
    name: 'decompress: output is the input',
    kind: 'outputs destroy',
    args: ['decompress', goodCdma, goodCdma],
    protect: [goodCdma],
  },
  {
    name: 'decompress: output is /dev/null',
    kind: 'outputs destroy',
    args: ['decompress', goodCdma, '/dev/null'],
    protect: ['/dev/null'],
  },
  {
    name: 'decompress: output is a FIFO',
    kind: 'outputs destroy',
    args: ['decompress', goodCdma, fifo],
    protect: [fifo],
  },
  {
    name: 'decompress: truncated container',
    kind: 'garbage accepted',
    args: ['decompress', truncCdma, p('d1.npy')],
  },
  {
    name: 'decompress: bit-flipped container',
    kind: 'garbage accepted',
    args: ['decompress', flipCdma, p('d2.npy')],
  },
  {
    name: 'decompress: .npy given as container',
    kind: 'garbage accepted',
    args: ['decompress', good, p('d3.npy')],
  },
  {
    name: 'decompress: empty container',
    kind: 'garbage accepted',
    args: ['decompress', p('empty'), p('d4.npy')],
  },
  {
    name: 'decompress: /dev/zero',
    kind: 'unbounded reads',
    args: ['decompress', '/dev/zero', p('d5.npy')],
  },
  {
    name: 'decompress: /dev/urandom',
    kind: 'unbounded reads',
    args: ['decompress', '/dev/urandom', p('d6.npy')],
  },
  // inspect
  { name: 'inspect: truncated', kind: 'garbage accepted', args: ['inspect', truncCdma] },
  { name: 'inspect: bit flip', kind: 'garbage accepted', args: ['inspect', flipCdma] },
  { name: 'inspect: folder', kind: 'garbage accepted', args: ['inspect', root] },
  { name: 'inspect: FIFO', kind: 'unbounded reads', args: ['inspect', fifo] },
  { name: 'inspect: missing', kind: 'garbage accepted', args: ['inspect', p('none.cdma')] },
  {
    name: 'inspect --dump into a closed pipe',
    kind: 'left behind',
    args: ['inspect', '--dump', bigCdma],
    mode: 'epipe',
  },
  {
    name: 'inspect --json into a closed pipe',
    kind: 'left behind',
    args: ['inspect', '--json', manyCdma],
    mode: 'epipe',
  },
  // train: numbers
  { name: 'train: --lr 1e308', kind: 'bad numbers', args: [...T, '--lr', '1e308'] },
  { name: 'train: --lr -1', kind: 'bad numbers', args: [...T, '--lr', '-1'] },
  { name: 'train: --lr nan', kind: 'bad numbers', args: [...T, '--lr', 'nan'] },
  { name: 'train: --lr Infinity', kind: 'bad numbers', args: [...T, '--lr', 'Infinity'] },
  { name: 'train: --batch 0', kind: 'bad numbers', args: [...T, '--batch', '0'] },
  { name: 'train: --batch 1e9', kind: 'bad numbers', args: [...T, '--batch', '1000000000'] },
  { name: 'train: --steps -1', kind: 'bad numbers', args: [...T, '--steps', '-1'] },
  { name: 'train: --steps 1.5', kind: 'bad numbers', args: [...T, '--steps', '1.5'] },
  { name: 'train: --limit 0', kind: 'bad numbers', args: [...T, '--limit', '0'] },
  { name: 'train: --momentum 2', kind: 'bad numbers', args: [...T, '--momentum', '2'] },
  { name: 'train: --weight-decay -1', kind: 'bad numbers', args: [...T, '--weight-decay', '-1'] },
  { name: 'train: --seed -1', kind: 'bad numbers', args: [...T, '--seed', '-1'] },
  { name: 'train: --seed 2^40', kind: 'bad numbers', args: [...T, '--seed', String(2 ** 40)] },
  {
    name: 'train: --budget -5',
    kind: 'bad numbers',
    args: [...T, '--policy', 'all', '--budget', '-5'],
  },
  {
    name: 'train: --budget 1B',
    kind: 'bad numbers',
    args: [...T, '--policy', 'all', '--budget', '1B'],
  },
  {
    name: 'train: --prefetch-ahead -1',
    kind: 'bad numbers',
    args: [...T, '--policy', 'all', '--prefetch-ahead', '-1'],
  },
  { name: 'train: --eval-batch 0', kind: 'bad numbers', args: [...T, '--eval-batch', '0'] },
  { name: 'train: --warmup -3', kind: 'bad numbers', args: [...T, '--warmup', '-3'] },
  { name: 'train: --input 0x0x0', kind: 'bad numbers', args: [...T, '--input', '0x0x0'] },
  // train: options
  {
    name: 'train: --codec without --policy',
    kind: 'options ignored',
    args: [...T, '--codec', 'zvc'],
  },
  {
    name: 'train: --link without --policy',
    kind: 'options ignored',
    args: [...T, '--link', 'pcie3'],
  },
  {
    name: 'train: --host-store without --policy',
    kind: 'options ignored',
    args: [...T, '--host-store', spillDir],
    empty: spillDir,
  },
  { name: 'train: --steps with --epochs', kind: 'options ignored', args: [...T, '--epochs', '1'] },
  { name: 'train: unknown model', kind: 'garbage accepted', args: [...T, '--model', 'resnet9000'] },
  { name: 'train: unknown policy', kind: 'options ignored', args: [...T, '--policy', 'most'] },
  {
    name: 'train: unknown link',
    kind: 'options ignored',
    args: [...T, '--policy', 'all', '--link', 'pcie9'],
  },
  { name: 'train: unknown option', kind: 'options ignored', args: [...T, '--polcy', 'all'] },
  {
    name: 'train: --host-store missing',
    kind: 'garbage accepted',
    args: [...T, '--policy', 'all', '--host-store', p('nohs')],
  },
  {
    name: 'train: --host-store is a file',
    kind: 'garbage accepted',
    args: [...T, '--policy', 'all', '--host-store', p('afile')],
  },
  // train: outputs
  {
    name: 'train: --json-out in a missing folder',
    kind: 'left behind',
    args: [...T, '--json-out', p('no', 's.json')],
  },
  {
    name: 'train: --json-out is a folder',
    kind: 'outputs destroy',
    args: [...T, '--json-out', root],
  },
  {
    name: 'train: --json-out /dev/null',
    kind: 'outputs destroy',
    args: [...T, '--json-out', '/dev/null'],
    protect: ['/dev/null'],
  },
  {
    name: 'compare: --json-out /dev/null',
    kind: 'outputs destroy',
    args: [...C, '--json-out', '/dev/null'],
    protect: ['/dev/null'],
  },
  {
    name: 'train: --trace is a FIFO',
    kind: 'outputs destroy',
    args: [...T, '--policy', 'all', '--trace', fifo],
    protect: [fifo],
  },
  {
    name: 'train: --trace in a missing folder',
    kind: 'left behind',
    args: [...T, '--policy', 'all', '--trace', p('no', 't.json')],
  },
  // train: datasets
  {
    name: 'train: PNG without image data',
    kind: 'garbage accepted',
    args: [
      ...T,
      '--dataset',
      imageFolder('png-noidat', { file: 'bad.png', bytes: pngWithoutIdat(png(8, 8)) }),
    ],
  },
  {
    name: 'train: PNG with half its rows',
    kind: 'garbage accepted',
    args: [...T, '--dataset', imageFolder('png-half', { file: 'bad.png', bytes: halfPng })],
  },
  {
    name: 'train: truncated JPEG',
    kind: 'garbage accepted',
    args: [
      ...T,
      '--dataset',
      imageFolder('jpg-trunc', { file: 'bad.jpg', bytes: jpg(16, 16).subarray(0, 300) }),
    ],
  },
  {
    name: 'train: text file named .png',
    kind: 'garbage accepted',
    args: [
      ...T,
      '--dataset',
      imageFolder('png-text', { file: 'bad.png', bytes: Buffer.from('hello') }),
    ],
  },
  {
    name: 'train: gzip bomb IDX labels',
    kind: 'unbounded reads',
    args: [...T, '--dataset', idxFolder('idx-bomb', zeroBomb)],
  },
  {
    name: 'train: IDX declaring 2M images',
    kind: 'unbounded reads',
    args: [
      ...T,
      '--dataset',
      idxFolder('idx-huge', gzipSync(idx([2_000_000], new Uint8Array(200))), hugeDeclared),
    ],
  },
  {
    name: 'train: IDX labels not gzip',
    kind: 'garbage accepted',
    args: [...T, '--dataset', idxFolder('idx-notgz', Buffer.from([0x1f, 0x8b, 1, 2, 3]))],
  },
  {
    name: 'train: CIFAR batches of zeros and junk',
    kind: 'garbage accepted',
    args: [...T, '--dataset', `cifar10:${cifarDir}`],
  },
  {
    name: 'train: mnist:DIR missing',
    kind: 'garbage accepted',
    args: [...T, '--dataset', `mnist:${p('nomnist')}`],
  },
  {
    name: 'train: dataset is a file',
    kind: 'garbage accepted',
    args: [...T, '--dataset', `idx:${p('afile')}`],
  },
  {
    name: 'train: unknown dataset kind',
    kind: 'garbage accepted',
    args: [...T, '--dataset', 'imagenet'],
  },
  // compare
  { name: 'compare: --codecs none', kind: 'options ignored', args: [...C, '--codecs', 'none'] },
  {
    name: 'compare: --codecs bogus',
    kind: 'options ignored',
    args: [...C, '--codecs', 'zvc,bogus'],
  },
  { name: 'compare: --codecs empty', kind: 'options ignored', args: [...C, '--codecs', ''] },
  { name: 'compare: --policy none', kind: 'options ignored', args: [...C, '--policy', 'none'] },
  { name: 'compare: --steps 0', kind: 'bad numbers', args: [...C, '--steps', '0'] },
  { name: 'compare: --lr 1e308', kind: 'bad numbers', args: [...C, '--lr', '1e308'] },
  {
    name: 'compare: --host-store is a file',
    kind: 'garbage accepted',
    args: [...C, '--host-store', p('afile')],
  },
  // simulate
  {
    name: 'simulate: --ratios /dev/zero',
    kind: 'unbounded reads',
    args: [...S, '--ratios', '/dev/zero'],
  },
  { name: 'simulate: --ratios FIFO', kind: 'unbounded reads', args: [...S, '--ratios', fifo] },
  {
    name: 'simulate: --study /dev/zero',
    kind: 'unbounded reads',
    args: [...S, '--study', '/dev/zero'],
  },
  {
    name: 'simulate: --profile /dev/zero',
    kind: 'unbounded reads',
    args: [...S, '--profile', '/dev/zero'],
  },
  {
    name: 'simulate: ratio 1e-300',
    kind: 'bad numbers',
    args: [...S, '--ratios', ratios('r1.json', { layers: { 'conv1_1/relu': 1e-300 } })],
  },
  {
    name: 'simulate: ratio -2',
    kind: 'bad numbers',
    args: [...S, '--ratios', ratios('r2.json', { layers: { 'conv1_1/relu': -2 } })],
  },
  {
    name: 'simulate: ratio 1e308',
    kind: 'bad numbers',
    args: [...S, '--ratios', ratios('r3.json', { layers: { 'conv1_1/relu': 1e308 } })],
  },
  {
    name: 'simulate: ratio is a string',
    kind: 'garbage accepted',
    args: [...S, '--ratios', ratios('r4.json', { layers: { 'conv1_1/relu': 'NaN' } })],
  },
  {
    name: 'simulate: ratio table not JSON',
    kind: 'garbage accepted',
    args: [...S, '--ratios', ratios('r5.json', '{layers: ')],
  },
  {
    name: 'simulate: ratio table of an unknown layer',
    kind: 'garbage accepted',
    args: [...S, '--ratios', ratios('r6.json', { layers: { nolayer: 2 } })],
  },
  {
    name: 'simulate: profile not JSON',
    kind: 'garbage accepted',
    args: [...S, '--profile', ratios('p1.json', '[[[')],
  },
  {
    name: 'simulate: profile negative time',
    kind: 'bad numbers',
    args: [...S, '--profile', ratios('p2.json', { layers: { conv1_1: { forwardMs: -1 } } })],
  },
  {
    name: 'simulate: --study not results',
    kind: 'garbage accepted',
    args: [...S, '--study', ratios('s1.json', { hello: 1 })],
  },
  { name: 'simulate: --density 2', kind: 'bad numbers', args: [...S, '--density', '2'] },
  { name: 'simulate: --density -0.1', kind: 'bad numbers', args: [...S, '--density', '-0.1'] },
  { name: 'simulate: --batch 0', kind: 'bad numbers', args: [...S, '--batch', '0'] },
  { name: 'simulate: --units 0', kind: 'bad numbers', args: [...S, '--units', '0'] },
  { name: 'simulate: --unit-gbs 1e309', kind: 'bad numbers', args: [...S, '--unit-gbs', '1e309'] },
  {
    name: 'simulate: --workspace -1',
    kind: 'bad numbers',
    args: [...S, '--workspace', '-1'],
  },
  { name: 'simulate: unknown gpu', kind: 'options ignored', args: [...S, '--gpu', 'rtx9090'] },
  {
    name: 'simulate: --out is a file',
    kind: 'outputs destroy',
    args: ['simulate', '--model', 'vgg16', '--sweep', '--densities', '0.5', '--out', p('afile')],
    protect: [p('afile')],
  },
  {
    name: 'simulate: --out is a link loop',
    kind: 'outputs destroy',
    args: ['simulate', '--model', 'vgg16', '--sweep', '--densities', '0.5', '--out', p('loop')],
  },
  {
    name: 'simulate: sweep option without --sweep',
    kind: 'options ignored',
    args: [...S, '--gpus', 'v100'],
  },
  // study
  {
    name: 'study: --models with --tfjs-model',
    kind: 'options ignored',
    args: [...TF, '--models', 'nin', '--out', p('sy1')],
  },
  {
    name: 'study: --warmup longer than --steps',
    kind: 'options ignored',
    args: [...Y, '--warmup', '50', '--out', p('sy2')],
  },
  {
    name: 'study: --every 0',
    kind: 'bad numbers',
    args: [...Y, '--every', '0', '--out', p('sy3')],
  },
  {
    name: 'study: --out is a file',
    kind: 'outputs destroy',
    args: [...Y, '--out', studyOutFile],
    protect: [studyOutFile],
  },
  {
    name: 'study: --out is a link loop',
    kind: 'outputs destroy',
    args: [...Y, '--out', p('loop')],
  },
  {
    name: 'study: corrupt results.json to resume',
    kind: 'garbage accepted',
    args: [...Y, '--out', studyBad],
    protect: [join(studyBad, 'results.json')],
  },
  {
    name: 'study: --report-only on corrupt results',
    kind: 'garbage accepted',
    args: ['study', '--report-only', '--out', studyBad],
    protect: [join(studyBad, 'results.json')],
  },
  {
    name: 'study: model.json without weights',
    kind: 'garbage accepted',
    args: [...TF, '--out', p('sy4')],
  },
  {
    name: 'study: shard symlinked outside the folder',
    kind: 'garbage accepted',
    args: [
      'study',
      '--tfjs-model',
      join(tfjsSym, 'model.json'),
      '--images',
      imgs,
      '--quiet',
      '--out',
      p('sy5'),
    ],
  },
  {
    name: 'study: the same shard listed twice',
    kind: 'unbounded reads',
    args: [
      'study',
      '--tfjs-model',
      join(p('tfjs-dup'), 'model.json'),
      '--images',
      imgs,
      '--quiet',
      '--out',
      p('sy6'),
    ],
  },
  {
    name: 'study: shard too short',
    kind: 'garbage accepted',
    args: [
      'study',
      '--tfjs-model',
      join(p('tfjs-short'), 'model.json'),
      '--images',
      imgs,
      '--quiet',
      '--out',
      p('sy7'),
    ],
  },
  {
    name: 'study: model.json is /dev/zero',
    kind: 'unbounded reads',
    args: ['study', '--tfjs-model', '/dev/zero', '--images', imgs, '--quiet', '--out', p('sy8')],
  },
  {
    name: 'study: --images folder missing',
    kind: 'garbage accepted',
    args: [...TF, '--random-init', '1', '--images', p('noimgs'), '--out', p('sy9')],
  },
  {
    name: 'study: --zlib-level 12',
    kind: 'bad numbers',
    args: [...Y, '--zlib-level', '12', '--out', p('sy10')],
  },
  {
    name: 'study: --input-range 1,1',
    kind: 'bad numbers',
    args: [...TF, '--random-init', '1', '--input-range', '1,1', '--out', p('sy11')],
  },
  // models, demo
  { name: 'models: unknown network', kind: 'garbage accepted', args: ['models', 'resnet9000'] },
  { name: 'models: --batch 0', kind: 'bad numbers', args: ['models', 'vgg16', '--batch', '0'] },
  {
    name: 'models: --element-bytes 3',
    kind: 'bad numbers',
    args: ['models', 'vgg16', '--element-bytes', '3'],
  },
  { name: 'models: --classes 0', kind: 'bad numbers', args: ['models', 'vgg16', '--classes', '0'] },
  { name: 'demo: --density 7', kind: 'bad numbers', args: ['demo', '--density', '7'] },
  { name: 'demo: --batch 1e6', kind: 'bad numbers', args: ['demo', '--batch', '1000000'] },
  { name: 'demo: --runs 0', kind: 'bad numbers', args: ['demo', '--runs', '0'] },
  { name: 'demo: --pattern bogus', kind: 'options ignored', args: ['demo', '--pattern', 'bogus'] },
  // one convention: old spellings and near misses get the name to use, on one line
  {
    name: 'train: --json FILE (now --json-out)',
    kind: 'one convention',
    args: [...T, '--json', p('old.json')],
  },
  { name: 'train: --bacth mistyped', kind: 'one convention', args: [...T, '--bacth', '4'] },
  { name: 'train: --modle mistyped', kind: 'one convention', args: ['train', '--modle', 'x'] },
  { name: 'study: --evry mistyped', kind: 'one convention', args: [...Y, '--evry', '2'] },
  { name: 'inspect: --jsn mistyped', kind: 'one convention', args: ['inspect', '--jsn', good] },
  { name: 'train: --policy oracle', kind: 'one convention', args: [...T, '--policy', 'oracle'] },
  { name: 'simulate: --policy oracle', kind: 'one convention', args: [...S, '--policy', 'oracle'] },
  { name: 'compare: --policy base', kind: 'one convention', args: [...C, '--policy', 'base'] },
  { name: 'compare: --link pcie-3', kind: 'one convention', args: [...C, '--link', 'pcie-3'] },
  {
    name: 'simulate: --link unlimited',
    kind: 'one convention',
    args: [...S, '--link', 'unlimited'],
  },
  {
    name: 'simulate: --workspace-mb (now --workspace)',
    kind: 'one convention',
    args: [...S, '--workspace-mb', '64'],
  },
  {
    name: 'simulate: --workspace 12 parsecs',
    kind: 'one convention',
    args: [...S, '--workspace', '12 parsecs'],
  },
  {
    name: 'compress: --chunk-size 1e6',
    kind: 'one convention',
    args: ['compress', good, p('c1.cdma'), '--chunk-size', '1e6'],
  },
  {
    name: 'train: --budget 1e9',
    kind: 'one convention',
    args: [...T, '--policy', 'all', '--budget', '1e9'],
  },
  { name: 'missing command argument', kind: 'one convention', args: ['decompress'] },
  { name: 'unknown command', kind: 'one convention', args: ['trian'] },
];

// ---------- running ----------
interface Outcome {
  readonly c: Case;
  readonly code: number | null;
  readonly err: string;
  readonly ms: number;
  readonly problems: string[];
}

function fingerprint(path: string): string {
  const st = statSync(path);
  if (!st.isFile()) return `${st.ino}:${st.mode}:${st.rdev}`;
  return `${st.ino}:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
}

function leftovers(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.endsWith('.tmp') || e.name.startsWith('cdma-spill-')) out.push(join(d, e.name));
      if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  walk(root);
  return out;
}

function runCase(c: Case): Promise<Outcome> {
  const before = new Map((c.protect ?? []).map((f) => [f, fingerprint(f)]));
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...c.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true' },
    });
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (err += d));
    if (c.mode === 'epipe') child.stdout.once('data', () => child.stdout.destroy());
    else child.stdout.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      const ms = Date.now() - t0;
      const problems: string[] = [];
      if (ms >= TIMEOUT_MS) problems.push('hang');
      if (c.mode === 'epipe') {
        if (code !== 141) problems.push(`exit ${code} after a closed pipe`);
        if (err !== '') problems.push('printed on a closed pipe');
      } else {
        if (code === 0) problems.push('accepted (exit 0)');
        if (code !== 1 && code !== 0) problems.push(`exit ${code}`);
        if (!/^cdma: /.test(err)) problems.push('no cdma: message');
        else if (err.trimEnd().includes('\n')) problems.push('more than one line');
        if (/\n\s+at /.test(err) || /internal error/.test(err)) problems.push('stack trace');
      }
      for (const [f, fp] of before)
        if (!existsSync(f) || fingerprint(f) !== fp) problems.push(`changed ${f}`);
      if (c.empty !== undefined && readdirSync(c.empty).length > 0)
        problems.push(`left files in ${c.empty}`);
      resolve({ c, code, err, ms, problems });
    });
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const filter = args.includes('--filter') ? args[args.indexOf('--filter') + 1] : undefined;
  const jobs = args.includes('--jobs') ? Number(args[args.indexOf('--jobs') + 1]) : 2;
  if (!existsSync(CLI)) {
    process.stderr.write('probe: build first (npm run build)\n');
    process.exit(1);
  }
  const todo = cases.filter((c) => filter === undefined || c.name.includes(filter));
  const results: Outcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const c = todo[next++]!;
      const r = await runCase(c);
      results.push(r);
      const first = r.err.split('\n')[0]!.slice(0, 150);
      process.stdout.write(
        `${r.problems.length === 0 ? 'ok  ' : 'FAIL'} ${c.name} (exit ${r.code}, ${r.ms} ms): ${r.problems.join('; ') || first}\n`,
      );
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  const left = leftovers();
  const kinds = [...new Set(todo.map((c) => c.kind))];
  process.stdout.write('\n| class | cases | refused cleanly | problems |\n|---|---:|---:|---:|\n');
  for (const k of kinds) {
    const rs = results.filter((r) => r.c.kind === k);
    const bad = rs.filter((r) => r.problems.length > 0).length;
    process.stdout.write(`| ${k} | ${rs.length} | ${rs.length - bad} | ${bad} |\n`);
  }
  const bad = results.filter((r) => r.problems.length > 0).length;
  process.stdout.write(`| all | ${results.length} | ${results.length - bad} | ${bad} |\n`);
  if (left.length > 0) process.stdout.write(`left behind: ${left.join(', ')}\n`);
  process.exitCode = bad > 0 || left.length > 0 ? 1 : 0;
}

await main();
