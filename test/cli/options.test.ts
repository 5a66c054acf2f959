import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCodecList, splitCodecList } from '../../src/cli/commands/compare.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** Runs the CLI and checks it failed with exit 1 and one line on stderr matching `re`. */
async function fails(args: readonly string[], re: RegExp): Promise<string> {
  const r = await runCli(...args);
  const what = args.join(' ');
  assert.equal(r.code, 1, `${what}: exit code (stderr: ${r.err})`);
  assert.match(r.err, re, what);
  assert.match(r.err, /^cdma: /, what);
  assert.equal(r.err.trimEnd().split('\n').length, 1, `${what}: one line: ${r.err}`);
  assert.equal(r.out, '', `${what}: nothing on stdout`);
  return r.err;
}

const TRAIN = ['train', '--model', 'nin-small', '--quiet'];
const COMPARE = ['compare', '--model', 'nin-small', '--quiet'];
const SIM = ['simulate', '--model', 'alexnet'];

test('train: offloading options without an offloading --policy are refused, naming the option', async () => {
  for (const [flag, value] of [
    ['--codec', 'rle'],
    ['--link', 'pcie3'],
    ['--host-store', '/tmp'],
    ['--prefetch-ahead', '2'],
  ]) {
    await fails(
      [...TRAIN, flag, value],
      new RegExp(
        `^cdma: ${flag} has no effect with --policy none \\(the default: nothing leaves the device\\); add --policy all, conv or dyn`,
      ),
    );
    await fails(
      [...TRAIN, '--policy', 'none', flag, value],
      new RegExp(`^cdma: ${flag} has no effect with --policy none`),
    );
  }
});

test('train: conflicting or pointless option combinations are refused before any data is loaded', async (t) => {
  await fails(
    [...TRAIN, '--steps', '2', '--epochs', '1'],
    /^cdma: give --steps or --epochs, not both/,
  );
  await fails(
    [...TRAIN, '--steps', '3', '--warmup', '4'],
    /^cdma: --warmup 4 is longer than the run \(3 steps\); give at most 3, or train longer/,
  );
  await fails(
    [...TRAIN, '--batch', '16', '--limit', '8'],
    /^cdma: --limit 8 is less than --batch 16: a step needs a full batch/,
  );
  const dir = tempDir(t, 'opts');
  const same = join(dir, 'out.json');
  await fails(
    [...TRAIN, '--json-out', same, '--trace', same],
    /^cdma: --json-out and --trace both name .*out\.json; give each its own file/,
  );
});

test('train: rules that need the run length are checked after loading, before training', async () => {
  await fails(
    [...TRAIN, '--batch', '16', '--limit', '64', '--steps', '2', '--eval-each-epoch'],
    /^cdma: --eval-each-epoch has no effect: the run \(2 steps\) ends within its first epoch \(4 steps\)/,
  );
  await fails(
    [...TRAIN, '--batch', '16', '--limit', '64', '--epochs', '1', '--warmup', '5'],
    /^cdma: --warmup 5 is longer than the run \(4 steps\)/,
  );
});

test('train, compare and study: every training number is range-checked, naming the range', async (t) => {
  const study = ['study', '--out', join(tempDir(t, 'ranges'), 'study'), '--quiet'];
  const cases: [string, string, RegExp][] = [
    ['--lr', '1e308', /--lr must be a number > 0 and <= 10, got '1e308'/],
    ['--lr', '0', /--lr must be a number > 0 and <= 10, got '0'/],
    ['--lr', 'NaN', /--lr must be a number > 0 and <= 10, got 'NaN'/],
    ['--seed', '4294967296', /--seed must be an integer from 0 to 4294967295/],
    ['--batch', '65537', /--batch must be an integer from 1 to 65536/],
    ['--steps', '0', /--steps must be an integer from 1 to 10000000, got '0'/],
    ['--limit', '0', /--limit must be an integer from 1 to 100000000/],
  ];
  for (const [flag, value, re] of cases) {
    for (const base of [TRAIN, COMPARE, study]) await fails([...base, flag, value], re);
  }
  const trainAndStudy: [string, string, RegExp][] = [
    ['--momentum', '1', /--momentum must be a number >= 0 and < 1, got '1'/],
    ['--momentum', '-0.5', /--momentum must be a number >= 0 and < 1/],
    ['--weight-decay', '2', /--weight-decay must be a number from 0 to 1, got '2'/],
    ['--epochs', '10001', /--epochs must be an integer from 1 to 10000/],
    ['--warmup', '-1', /--warmup must be an integer from 0 to 10000000/],
  ];
  for (const [flag, value, re] of trainAndStudy) {
    for (const base of [TRAIN, study]) await fails([...base, flag, value], re);
  }
  await fails([...TRAIN, '--eval-batch', '0'], /--eval-batch must be an integer from 1 to 65536/);
  await fails([...TRAIN, '--test-limit', '1e3'], /--test-limit must be an integer from 1/);
  await fails([...COMPARE, '--test-limit', '0'], /--test-limit must be an integer from 1/);
  await fails([...TRAIN, '--policy', 'all', '--prefetch-ahead', '1001'], /--prefetch-ahead/);
  await fails([...TRAIN, '--budget', '0'], /--budget must be at least 1 B, got '0'/);
  await fails([...study, '--every', '0'], /--every must be an integer from 1 to 10000000/);
  await fails(
    [...study, '--zlib-images', '65537'],
    /--zlib-images must be an integer from 1 to 65536/,
  );
  await fails([...study, '--maps', '65'], /--maps must be an integer from 0 to 64/);
});

test('compare: --codecs must add something to compare, each codec once, parameters kept', async () => {
  await fails(
    [...COMPARE, '--codecs', 'none'],
    /^cdma: --codecs none adds nothing to compare: vDNN \(no compression\) always runs; list compression codecs from zvc, rle, zlib/,
  );
  await fails([...COMPARE, '--codecs', 'rle,none'], /^cdma: --codecs none adds nothing/);
  await fails([...COMPARE, '--codecs', 'zvc,rle,rle'], /^cdma: --codecs names cDMA-rle twice/);
  await fails([...COMPARE, '--codecs', 'zvc,,rle'], /^cdma: --codecs has an empty item/);
  await fails([...COMPARE, '--codecs', 'lz4'], /^cdma: unknown codec 'lz4'/);
  assert.deepEqual(splitCodecList('zvc, rle:runBits=12,litBits=4,zlib:level=1'), [
    'zvc',
    'rle:runBits=12,litBits=4',
    'zlib:level=1',
  ]);
  assert.deepEqual(parseCodecList('zlib:level=1,zlib:level=9'), [
    { id: 'zvc' },
    { id: 'zlib', params: { level: 1 } },
    { id: 'zlib', params: { level: 9 } },
  ]);
});

test('study: options of the other mode, or beside --report-only, are refused', async (t) => {
  const out = join(tempDir(t, 'study-modes'), 'study');
  const study = ['study', '--out', out, '--quiet'];
  const inference = [...study, '--tfjs-model', 'm.json', '--images', 'imgs'];
  await fails(
    [...inference, '--models', 'alexnet'],
    /^cdma: --models applies to training mode; it has no effect with --tfjs-model and --images/,
  );
  for (const [flag, value] of [
    ['--steps', '3'],
    ['--lr', '0.1'],
    ['--dataset', 'fashion-mnist'],
    ['--every', '5'],
  ]) {
    await fails([...inference, flag, value], new RegExp(`^cdma: ${flag} applies to training mode`));
  }
  await fails([...inference, '--fresh'], /^cdma: --fresh applies to training mode/);
  for (const [flag, value] of [
    ['--max-images', '8'],
    ['--random-init', '1'],
  ]) {
    await fails(
      [...study, flag, value],
      new RegExp(`^cdma: ${flag} applies to inference mode only: pass it with --tfjs-model`),
    );
  }
  await fails(
    [...study, '--report-only', '--steps', '3'],
    /^cdma: --steps has no effect with --report-only, which only rebuilds DIR\/report\.html/,
  );
  await fails(
    [...study, '--report-only', '--fresh'],
    /^cdma: --fresh has no effect with --report-only/,
  );
  await fails(
    [...study, '--steps', '10', '--warmup', '20'],
    /^cdma: --warmup 20 is longer than the run \(10 steps\)/,
  );
  await fails(
    [...study, '--maps', '0', '--map-layers', '4'],
    /^cdma: --map-layers has no effect with --maps 0/,
  );
  await fails(
    [...study, '--map-layers', '0', '--map-channels', '4'],
    /^cdma: --map-channels has no effect with --map-layers 0/,
  );
  assert.equal(existsSync(out), false, 'a refused study creates no folder');
});

test('simulate: options of the other mode or ignored by --policy none are refused', async () => {
  await fails([...SIM, '--gpus', 'titanx'], /^cdma: --gpus applies to --sweep only/);
  await fails([...SIM, '--out', 'x'], /^cdma: --out applies to --sweep only/);
  await fails(
    [...SIM, '--sweep', '--gpu', 'v100'],
    /^cdma: --gpu applies to a single simulation, not --sweep \(use --gpus\)/,
  );
  await fails([...SIM, '--sweep', '--optimizer', 'adam'], /^cdma: --optimizer applies to a single/);
  await fails([...SIM, '--sweep', '--no-layers'], /^cdma: --no-layers applies to a single/);
  await fails(
    [...SIM, '--sweep', '--models', 'vgg16'],
    /^cdma: --model and --models both name the networks to sweep; give one/,
  );
  await fails(
    [...SIM, '--sweep', '--density', '0.3', '--densities', '0.5'],
    /^cdma: --density and --densities both set the densities/,
  );
  await fails(
    [...SIM, '--sweep', '--dtype', 'float16', '--dtypes', 'float32'],
    /^cdma: --dtype and --dtypes both set the types/,
  );
  await fails(
    ['simulate', '--sweep', '--models', 'alexnet,vgg16', '--profile', 'p.json'],
    /^cdma: --profile describes one network/,
  );
  await fails(['simulate'], /^cdma: required option '--model <name>' not specified/);
  await fails([...SIM, '--json', '--no-layers'], /^cdma: --no-layers has no effect with --json/);
  for (const flag of ['--codec', '--density', '--placement']) {
    const value = { '--codec': 'rle', '--density': '0.5', '--placement': 'dma' }[flag] as string;
    await fails(
      [...SIM, '--policy', 'none', flag, value],
      new RegExp(`^cdma: ${flag} has no effect with --policy none \\(nothing is offloaded\\)`),
    );
  }
  await fails(
    [...SIM, '--unit-gbs', '1e9'],
    /^cdma: --unit-gbs must be a number from 0.001 to 1000000/,
  );
  await fails([...SIM, '--crossbar-gbs', '0'], /^cdma: --crossbar-gbs must be a number from 0.001/);
  await fails([...SIM, '--workspace', '2TiB'], /^cdma: --workspace must be at most 1\.00 TiB/);
  await fails(
    [...SIM, '--workspace-mb', '64'],
    /^cdma: --workspace-mb is now --workspace, a byte size .*: --workspace 64MiB$/m,
  );
});

test('inspect: --dump, --json and --chunks that would have no effect are refused', async () => {
  await fails(['inspect', '--dump', '--json', 'x.cdma'], /^cdma: --json has no effect with --dump/);
  await fails(
    ['inspect', '--dump', '--chunks', 'x.cdma'],
    /^cdma: --chunks has no effect with --dump/,
  );
  await fails(
    ['inspect', '--json', '--chunks', 'x.cdma'],
    /^cdma: --chunks has no effect with --json: the JSON report always lists the chunks/,
  );
});

test('compress: --chunk-size is between 64 B and 1 GiB', async () => {
  for (const [value, re] of [
    ['2GiB', /--chunk-size must be at most 1\.00 GiB, got '2GiB'/],
    ['8', /--chunk-size must be at least 64 B, got '8'/],
  ] as const) {
    const r = await runCli('compress', 'in.npy', 'out.cdma', '--chunk-size', value);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, re);
  }
});

test('output paths are checked before any work: a missing folder, a folder, a file, a loop', async (t) => {
  const dir = tempDir(t, 'outputs');
  const file = join(dir, 'file');
  writeFileSync(file, 'x');
  const loop = join(dir, 'loop');
  symlinkSync(join(dir, 'loop2'), loop);
  symlinkSync(loop, join(dir, 'loop2'));
  const missing = join(dir, 'missing', 'out.json');
  // Without --quiet, loading the data would print a line: only the error may appear.
  const train = ['train', '--model', 'nin-small', '--steps', '1', '--batch', '8', '--limit', '8'];
  await fails(
    [...train, '--json-out', missing],
    /^cdma: cannot write JSON summary .*missing\/out\.json: folder .*missing does not exist$/m,
  );
  await fails(
    [...train, '--policy', 'all', '--trace', missing],
    /^cdma: cannot write trace .*missing/,
  );
  await fails([...train, '--json-out', dir], /^cdma: JSON summary .* exists and is a directory/);
  await fails([...train, '--json-out', loop], /^cdma: cannot write JSON summary .*loop/);
  await fails(
    ['study', '--out', file, '--steps', '1'],
    /^cdma: study folder .*file exists and is a file, not a folder$/m,
  );
  await fails(['study', '--out', loop, '--steps', '1'], /^cdma: cannot use study folder .*loop: /);
  await fails(
    ['simulate', '--model', 'alexnet', '--sweep', '--out', file],
    /^cdma: sweep folder .*file exists and is a file, not a folder$/m,
  );
  mkdirSync(join(dir, 'sweep', 'sweep.md'), { recursive: true });
  await fails(
    ['simulate', '--model', 'alexnet', '--sweep', '--out', join(dir, 'sweep')],
    /^cdma: sweep output .*sweep\.md exists and is a directory/,
  );
  assert.deepEqual(readdirSync(join(dir, 'sweep')), ['sweep.md'], 'nothing was written');
  assert.equal(existsSync(join(dir, 'missing')), false);
});

test('an output inside the dataset folder is refused: it could replace the data', async (t) => {
  const dir = tempDir(t, 'dataset-out');
  await fails(
    [
      'train',
      '--model',
      'nin-small',
      '--dataset',
      `idx:${dir}`,
      '--json-out',
      join(dir, 'summary.json'),
    ],
    /^cdma: JSON summary .*summary\.json is inside the dataset folder .*; write it somewhere else/,
  );
});

test('models --element-bytes takes only the widths of real element types', async () => {
  const r = await runCli('models', 'vgg16', '--element-bytes', '3');
  assert.equal(r.code, 1);
  assert.match(r.err, /^cdma: --element-bytes must be 1, 2, 4 or 8/);
  assert.equal((await runCli('models', 'vgg16', '--element-bytes', '2')).code, 0);
});
