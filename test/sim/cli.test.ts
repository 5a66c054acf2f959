import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const cli = (args: string[]) => runCli(...args);

test('cdma simulate prints per-layer times and the three schemes', async () => {
  const r = await cli(['simulate', '--model', 'alexnet', '--batch', '64', '--density', '0.35']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^layer\s+kind\s+algo f\/bd\/bf\s+ws MB\s+fwd ms/m);
  assert.match(r.out, /^conv1\s+conv2d/m);
  assert.match(r.out, /^oracle\s+\d/m);
  assert.match(r.out, /^vDNN\s+\d/m);
  assert.match(r.out, /^cDMA\s+\d/m);
  assert.match(r.out, /cDMA over vDNN: [+-]\d/);
});

test('cdma simulate --json is machine-readable and consistent', async () => {
  const r = await cli([
    'simulate',
    '--model',
    'vgg16',
    '--batch',
    '256',
    '--gpu',
    'titanx',
    '--link',
    'pcie3',
    '--policy',
    'all',
    '--codec',
    'zvc',
    '--density',
    '0.35',
    '--optimizer',
    'sgd',
    '--json',
  ]);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.model, 'vgg16');
  assert.equal(j.algo, 'performance');
  assert.equal(j.library, 'cudnn4');
  assert.equal(j.oracle.fits, false);
  assert.equal(j.vdnn.fits, true);
  assert.ok(j.cdma.iterationMs < j.vdnn.iterationMs);
  assert.ok(Math.abs(j.improvement - (j.vdnn.iterationMs / j.cdma.iterationMs - 1)) < 1e-9);
  assert.equal(j.layers.length, 41);
});

test('cdma simulate reads ratio tables and reports tensors it has no ratio for', async (t) => {
  const dir = tempDir(t, 'sim-cli');
  const p = join(dir, 'ratios.json');
  writeFileSync(p, JSON.stringify({ layers: { 'conv1/relu': 4 } }));
  const r = await cli(['simulate', '--model', 'alexnet', '--ratios', p, '--no-layers']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /No ratio for \d+ tensor\(s\)/);
  assert.doesNotMatch(r.out, /^layer\s+kind/m);
});

test('cdma simulate refuses a ratio table naming a layer the network does not have', async (t) => {
  const p = join(tempDir(t, 'sim-cli'), 'ratios.json');
  writeFileSync(p, JSON.stringify({ layers: { 'conv1/relu': 4, relu1: 2 } }));
  const r = await cli(['simulate', '--model', 'alexnet', '--ratios', p, '--no-layers']);
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /^cdma: ratio table .*: 'relu1' is not a layer of alexnet; is the table for another network\?/,
  );
});

test('bad options are one-line errors with exit 1', async () => {
  const cases: [string[], RegExp][] = [
    [
      ['simulate', '--model', 'alexnet', '--gpu', 'gtx480'],
      /unknown GPU 'gtx480'; choose one of titanx/,
    ],
    [['simulate', '--model', 'alexnet', '--link', 'usb'], /unknown link 'usb'/],
    [['simulate', '--model', 'nope'], /unknown model 'nope'/],
    [
      ['simulate', '--model', 'alexnet', '--batch', '0'],
      /--batch must be an integer from 1 to 1048576, got '0'/,
    ],
    [
      ['simulate', '--model', 'alexnet', '--batch', '1e3'],
      /--batch must be an integer from 1 to 1048576, got '1e3'/,
    ],
    [
      ['simulate', '--model', 'alexnet', '--density', '2'],
      /--density must be a number from 0 to 1/,
    ],
    [['simulate', '--model', 'alexnet', '--codec', 'zlib'], /zlib ratios have no model/],
    [
      ['simulate', '--model', 'alexnet', '--density', '0.3', '--ratios', 'x.json'],
      /only one of --density, --study and --ratios/,
    ],
    [
      ['simulate', '--model', 'alexnet', '--study', '/nonexistent/results.json'],
      /study results \/nonexistent\/results\.json does not exist/,
    ],
    [
      ['simulate', '--model', 'alexnet', '--cudnn', '7'],
      /unknown cuDNN version '7'; choose one of 4, 5/,
    ],
    [
      ['simulate', '--model', 'alexnet', '--policy', 'dyn', '--algo', 'memory'],
      /--algo has no effect with --policy dyn/,
    ],
    [
      ['simulate', '--model', 'alexnet', '--policy', 'dyn', '--sweep'],
      /--policy dyn applies to a single simulation, not --sweep/,
    ],
  ];
  for (const [args, re] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.err, re, args.join(' '));
    assert.equal(r.err.trim().split('\n').length, 1);
  }
});

test('cdma simulate --sweep writes markdown, CSV and a self-contained HTML page with SVG charts', async (t) => {
  const dir = tempDir(t, 'sweep');
  const r = await cli([
    'simulate',
    '--model',
    'alexnet',
    '--sweep',
    '--out',
    dir,
    '--gpus',
    'titanx,h100-sxm',
    '--links',
    'pcie3,pcie5',
    '--codecs',
    'zvc,rle,zlib',
    '--densities',
    '0.2,0.5',
  ]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /16 points written/);
  assert.match(r.out, /skipped: .*zlib ratios have no model/);
  const md = readFileSync(join(dir, 'sweep.md'), 'utf8');
  assert.equal(md.trim().split('\n').length, 2 + 16);
  const csv = readFileSync(join(dir, 'sweep.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 17);
  assert.match(csv[1], /^alexnet,128,titanx,pcie3,float32,zvc,0.2,/);
  const html = readFileSync(join(dir, 'sweep.html'), 'utf8');
  assert.ok((html.match(/<svg/g) ?? []).length >= 3);
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/);
});

test("--policy none keeps everything on the device; 'oracle', its old name, is refused with the new", async () => {
  const args = ['simulate', '--model', 'alexnet', '--batch', '32', '--json'];
  const none = await cli([...args, '--policy', 'none']);
  const oracle = await cli([...args, '--policy', 'oracle']);
  assert.equal(none.code, 0, none.err);
  assert.equal(oracle.code, 1);
  assert.match(oracle.err, /^cdma: --policy oracle is called none .*did you mean --policy none\?/);
  const j = JSON.parse(none.out);
  assert.equal(j.policy, 'none');
  assert.equal(j.vdnn.iterationMs, j.oracle.iterationMs);
  assert.equal(j.vdnn.bytesMoved, 0);
  const bad = await cli([...args, '--policy', 'most']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /unknown policy 'most': use one of none, all, conv, dyn/);
});

test('--algo memory runs implicit GEMM against the performance-optimal oracle; --cudnn 5 adds Winograd', async () => {
  const base = ['simulate', '--model', 'vgg16', '--batch', '32', '--json'];
  const m = JSON.parse((await cli([...base, '--algo', 'memory'])).out);
  const p = JSON.parse((await cli(base)).out);
  assert.equal(m.algo, 'memory');
  assert.equal(m.oracle.iterationMs, p.oracle.iterationMs);
  assert.ok(m.vdnn.normalizedPerformance < p.vdnn.normalizedPerformance);
  const conv = (j: { layers: { name: string; algos: { forward: string } | null }[] }) =>
    j.layers.find((l) => l.name === 'conv3_2')!.algos!.forward;
  assert.equal(conv(m), 'implicit-gemm');
  const five = JSON.parse((await cli([...base, '--cudnn', '5'])).out);
  assert.equal(five.library, 'cudnn5');
  assert.equal(conv(five), 'winograd');
  assert.ok(five.oracle.iterationMs < p.oracle.iterationMs);
});

test('--policy dyn prints the configurations vDNN_dyn tried and the one it keeps', async () => {
  const r = await cli([
    'simulate',
    '--model',
    'vgg16',
    '--batch',
    '256',
    '--optimizer',
    'sgd',
    '--no-layers',
  ]);
  assert.equal(r.code, 0, r.err);
  const t = await cli([
    'simulate',
    '--model',
    'vgg16',
    '--batch',
    '256',
    '--optimizer',
    'sgd',
    '--policy',
    'dyn',
    '--no-layers',
  ]);
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /^all\(m\)\s+\d/m);
  assert.match(t.out, /^none\(p\)\s+[\d.]+\s+1\.000\s+[\d.]+\s+no/m);
  assert.match(t.out, /vDNN_dyn keeps all\(p\): \d+\.\d% of the oracle/);
  const j = JSON.parse(
    (
      await cli([
        'simulate',
        '--model',
        'vgg16',
        '--batch',
        '256',
        '--optimizer',
        'sgd',
        '--policy',
        'dyn',
        '--json',
      ])
    ).out,
  );
  assert.equal(j.dyn.chosen, 'all(p)');
  assert.equal(j.result.policy, 'all');
  assert.equal(j.dyn.trials[0].label, 'all(m)');
});

test('cdma simulate --tfjs-model predicts an imported model from its layers and shapes', async (t) => {
  const tf = await import('@tensorflow/tfjs-core');
  const tfl = await import('@tensorflow/tfjs-layers');
  await import('@tensorflow/tfjs-backend-cpu');
  const { fileIO } = await import('../../src/study/tfjs-io.js');
  await tf.setBackend('cpu');
  const path = join(tempDir(t, 'sim-tfjs'), 'model.json');
  const m = tfl.sequential();
  m.add(
    tfl.layers.conv2d({
      inputShape: [32, 32, 3],
      filters: 8,
      kernelSize: 3,
      activation: 'relu',
      name: 'c1',
    }),
  );
  m.add(tfl.layers.maxPooling2d({ poolSize: 2, name: 'p1' }));
  m.add(tfl.layers.flatten({ name: 'f' }));
  m.add(tfl.layers.dense({ units: 10, activation: 'softmax', name: 'd' }));
  await m.save(fileIO(path));
  const r = await cli([
    'simulate',
    '--tfjs-model',
    path,
    '--batch',
    '64',
    '--policy',
    'all',
    '--json',
  ]);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { layers: { name: string }[] };
  assert.ok(
    j.layers.some((l) => l.name === 'c1'),
    r.out.slice(0, 300),
  );
  const both = await cli(['simulate', '--tfjs-model', path, '--model', 'vgg16']);
  assert.equal(both.code, 1);
  assert.match(both.err, /^cdma: --tfjs-model names the network to simulate; drop --model/);
});
