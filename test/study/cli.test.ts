import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/main.js';
import { readResults } from '../../src/study/results.js';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const cdma = (args: string[]) => runCliProcess(args);

test('study --help explains the -small mapping and every option', () => {
  const study = buildProgram().commands.find((c) => c.name() === 'study');
  assert.ok(study);
  const help = study.helpInformation();
  assert.match(help, /alexnet\s+->\s+alexnet-small/);
  for (const flag of [
    '--models',
    '--dataset',
    '--steps',
    '--epochs',
    '--every',
    '--out',
    '--tfjs-model',
    '--images',
    '--zlib-images',
    '--fresh',
    '--report-only',
  ]) {
    assert.ok(help.includes(flag), flag);
  }
});

test('cdma study runs a short study end to end and rebuilds its report', async (t) => {
  const out = join(tempDir(t, 'cli-study'), 'run');
  const r = await cdma([
    'study',
    '--models',
    'alexnet,squeezenet',
    '--steps',
    '3',
    '--every',
    '2',
    '--batch',
    '8',
    '--limit',
    '64',
    '--out',
    out,
  ]);
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.out,
    /^alexnet-small +density [\d.]+% \([\d.]+% -> [\d.]+%\) \| zvc [\d.]+ \| rle [\d./]+ \| zlib [\d./]+/m,
  );
  assert.match(r.out, /^squeezenet-small /m);
  assert.match(r.err, /alexnet-small: step 3\/3/);
  const results = readResults(join(out, 'results.json'));
  assert.deepEqual(
    results.models.map((m) => [m.model, m.steps]),
    [
      ['alexnet-small', [0, 2]],
      ['squeezenet-small', [0, 2]],
    ],
  );
  assert.ok(statSync(join(out, 'report.html')).size > 10000);

  rmSync(join(out, 'report.html'));
  const again = await cdma(['study', '--out', out, '--report-only', '--quiet']);
  assert.equal(again.code, 0, again.err);
  assert.ok(existsSync(join(out, 'report.html')));

  const done = await cdma([
    'study',
    '--models',
    'alexnet,squeezenet',
    '--steps',
    '3',
    '--every',
    '2',
    '--batch',
    '8',
    '--limit',
    '64',
    '--out',
    out,
  ]);
  assert.equal(done.code, 0, done.err);
  assert.match(done.err, /alexnet-small: already complete/);
});

test('Ctrl-C stops the study at a step boundary and the same command resumes it', async (t) => {
  const out = join(tempDir(t, 'cli-study'), 'run');
  const args = [
    'study',
    '--models',
    'alexnet',
    '--steps',
    '20',
    '--every',
    '5',
    '--batch',
    '8',
    '--limit',
    '64',
    '--out',
    out,
  ];
  let sent = false;
  const first = await runCliProcess(args, {
    // Interrupt once training has started (the first progress line).
    onStderr(stderr, child) {
      if (!sent && /alexnet-small: step \d+\/20/.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    },
  });
  const { code, err: stderr } = first;
  assert.equal(code, 130, stderr);
  assert.match(stderr, /cdma: interrupted; resume with: cdma study /);
  const mid = readResults(join(out, 'results.json'));
  assert.equal(mid.models[0].status, 'running');
  assert.ok(mid.models[0].stepsDone < 20);

  const again = await cdma(args);
  assert.equal(again.code, 0, again.err);
  assert.match(
    again.err,
    new RegExp(`alexnet-small: resuming at step ${mid.models[0].stepsDone} of 20`),
  );
  const done = readResults(join(out, 'results.json'));
  assert.equal(done.models[0].status, 'complete');
  assert.deepEqual(done.models[0].steps, [0, 5, 10, 15, 19]);
});

test('bad study options fail with one line and a non-zero exit', async (t) => {
  const out = join(tempDir(t, 'cli-study'), 'run');
  for (const [args, message] of [
    [['--models', 'lenet'], /cdma: unknown network 'lenet' for --models; use some of: alexnet/],
    [['--steps', '3', '--epochs', '1'], /cdma: give --steps or --epochs, not both/],
    [['--tfjs-model', 'm.json'], /cdma: tfjs model m\.json does not exist/],
    [['--every', '0'], /cdma: --every must be an integer from 1 to 10000000, got '0'/],
    [['--report-only'], /cdma: .*results\.json does not exist/],
  ] as const) {
    const r = await runCli('study', '--out', out, '--quiet', ...args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, message);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  }
});
