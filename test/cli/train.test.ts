import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatBytes } from '../../src/io/sizes.js';
import { runCliProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const cdma = (args: string[]) => runCliProcess(args);

test('cdma train refuses bad input with one line on stderr and a non-zero exit', async () => {
  const missing = join(tmpdir(), 'cdma-no-such-dataset-dir');
  const cases: [string[], RegExp][] = [
    [
      ['train', '--model', 'lenet5', '--steps', '1'],
      /^cdma: unknown model 'lenet5'; valid models: .*alexnet-small/,
    ],
    [
      ['train', '--model', 'alexnet-small', '--dataset', `idx:${missing}`],
      /^cdma: idx:.*: directory .* does not exist/,
    ],
    [
      ['train', '--model', 'alexnet-small', '--dataset', `cifar10:${missing}`],
      /does not exist; download cifar-10/,
    ],
    [
      ['train', '--model', 'alexnet-small', '--dataset', 'imagenet'],
      /^cdma: unknown dataset 'imagenet'; use mnist/,
    ],
    [
      ['train', '--model', 'alexnet-small', '--steps', '2', '--epochs', '1'],
      /^cdma: give --steps or --epochs, not both/,
    ],
    [
      ['train', '--model', 'alexnet-small', '--batch', '0'],
      /^cdma: --batch must be an integer from 1/,
    ],
    [['train', '--model', 'alexnet-small', '--backend', 'gpu'], /^cdma: unknown backend "gpu"/],
  ];
  const runs = await Promise.all(cases.map(([args]) => cdma(args)));
  runs.forEach((r, i) => {
    const [args, re] = cases[i];
    assert.equal(r.code, 1, `${args.join(' ')}: exit code`);
    assert.match(r.err, re, args.join(' '));
    assert.equal(r.err.trimEnd().split('\n').length, 1, `one line: ${r.err}`);
    assert.equal(r.out, '');
  });
});

test('cdma train runs a short job, prints the summary and writes it, memory summary included, with --json-out', async (t) => {
  const dir = tempDir(t, 'train');
  const json = join(dir, 'summary.json');
  const r = await cdma([
    'train',
    '--model',
    'resnet18-small',
    '--dataset',
    'mnist',
    '--steps',
    '3',
    '--batch',
    '16',
    '--limit',
    '64',
    '--test-limit',
    '40',
    '--seed',
    '5',
    '--policy',
    'all',
    '--json-out',
    json,
  ]);
  assert.equal(r.code, 0, r.err);
  for (const key of [
    'final loss',
    'test accuracy',
    'images/s',
    'peak device',
    'weights sha256',
    'offloaded/step',
  ]) {
    assert.match(r.out, new RegExp(`^${key} `, 'm'));
  }
  assert.match(r.err, /train: step 3\/3 \(100%\)/, 'plain progress lines under CI');
  const s = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(s.status, 'ok');
  assert.equal(s.model, 'resnet18-small');
  assert.equal(s.steps, 3);
  assert.equal(s.records.length, 3);
  assert.equal(s.testImages, 40);
  assert.match(s.weightsSha256, /^[0-9a-f]{64}$/);
  assert.ok(r.out.includes(s.weightsSha256));
  assert.ok(s.peakDeviceBytes > 0 && s.imagesPerSec > 0);
  assert.ok(s.testAccuracy >= 0 && s.testAccuracy <= 1);
  // The memory summary: the text's numbers, as numbers.
  const m = s.memory;
  assert.equal(m.managed, true);
  assert.equal(m.policy, 'all');
  assert.deepEqual(m.codec, { id: 'zvc' });
  assert.equal(m.link.name, 'unlimited');
  assert.equal(m.link.bytesPerSecond, null);
  assert.equal(m.stepsMeasured, 2, 'the first of 3 steps is left out, as in the text');
  assert.ok(m.offloadedBytesPerStep > 0 && m.linkBytesPerStep > 0);
  assert.ok(m.offloadedBytes >= m.offloadedBytesPerStep && m.linkBytes >= m.linkBytesPerStep);
  assert.ok(m.stallMs >= 0 && m.stallMsPerStep >= 0);
  assert.ok(m.density > 0 && m.density <= 1);
  assert.equal(m.ratio, m.offloadedBytes / m.linkBytes);
  const line =
    /^offloaded\/step\s+(.+) -> (.+) over the link \(ratio ([\d.]+)x, density ([\d.]+)%\)$/m.exec(
      r.out,
    );
  assert.ok(line, r.out);
  assert.equal(line[1], formatBytes(m.offloadedBytesPerStep));
  assert.equal(line[2], formatBytes(m.linkBytesPerStep));
  assert.equal(line[3], m.ratio.toFixed(2));
  assert.equal(line[4], (100 * m.density).toFixed(1));
});

test('a diverging cdma train stops at the first non-finite loss, exits 1 and writes a failed JSON summary', async (t) => {
  const json = join(tempDir(t, 'train-nan'), 'summary.json');
  const r = await cdma([
    'train',
    '--model',
    'nin-small',
    '--batch',
    '8',
    '--steps',
    '6',
    '--limit',
    '16',
    '--test-limit',
    '8',
    '--lr',
    '10',
    '--quiet',
    '--json',
    '--json-out',
    json,
  ]);
  assert.equal(r.code, 1, r.err);
  assert.match(
    r.err,
    /^cdma: training diverged at step (\d+): the loss is (NaN|-?Infinity); lower --lr \(it is 10\)\n$/,
  );
  const step = Number(/at step (\d+)/.exec(r.err)?.[1]);
  const s = JSON.parse(readFileSync(json, 'utf8'));
  assert.deepEqual(JSON.parse(r.out), s, '--json prints what --json-out writes');
  assert.equal(s.status, 'failed');
  assert.equal(s.error.code, 'DIVERGED');
  assert.match(s.error.message, /^training diverged at step/);
  assert.equal(s.stepsDone, step - 1);
  assert.equal(s.records.length, step - 1);
  assert.ok(s.records.every((x: { loss: number }) => Number.isFinite(x.loss)));
});

test('cdma compare --json says "status": "ok" and keeps codec parameters', async () => {
  const r = await cdma([
    'compare',
    '--model',
    'nin-small',
    '--batch',
    '4',
    '--steps',
    '1',
    '--link',
    'unlimited',
    '--codecs',
    'zlib:level=1',
    '--test-limit',
    '4',
    '--json',
    '--quiet',
  ]);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.status, 'ok');
  assert.equal(j.error, undefined);
  assert.deepEqual(
    j.runs.map((x: { name: string }) => x.name),
    ['oracle', 'vDNN', 'cDMA', 'cDMA-zlib:level=1'],
  );
  assert.equal(j.weightsMatch, true);
});
