import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram, main } from '../../src/cli/main.js';
import { readResults } from '../../src/study/results.js';

function cdma(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

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

test('cdma study runs a short study end to end and rebuilds its report', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'cdma-cli-study-')), 'run');
  const r = cdma([
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
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^alexnet-small +density [\d.]+% \([\d.]+% -> [\d.]+%\) \| zvc [\d.]+ \| rle [\d./]+ \| zlib [\d./]+/m,
  );
  assert.match(r.stdout, /^squeezenet-small /m);
  assert.match(r.stderr, /alexnet-small: step 3\/3/);
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
  const again = cdma(['study', '--out', out, '--report-only', '--quiet']);
  assert.equal(again.code, 0, again.stderr);
  assert.ok(existsSync(join(out, 'report.html')));

  const done = cdma([
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
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stderr, /alexnet-small: already complete/);
});

test('Ctrl-C stops the study at a step boundary and the same command resumes it', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'cdma-cli-study-')), 'run');
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
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, CI: 'true' },
  });
  let stderr = '';
  let sent = false;
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
    // Interrupt once training has started (the first progress line).
    if (!sent && /alexnet-small: step \d+\/20/.test(stderr)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, stderr);
  assert.match(stderr, /interrupted; run the same command again to resume/);
  const mid = readResults(join(out, 'results.json'));
  assert.equal(mid.models[0].status, 'running');
  assert.ok(mid.models[0].stepsDone < 20);

  const again = cdma(args);
  assert.equal(again.code, 0, again.stderr);
  assert.match(
    again.stderr,
    new RegExp(`alexnet-small: resuming at step ${mid.models[0].stepsDone} of 20`),
  );
  const done = readResults(join(out, 'results.json'));
  assert.equal(done.models[0].status, 'complete');
  assert.deepEqual(done.models[0].steps, [0, 5, 10, 15, 19]);
});

/** Runs the CLI in this process, capturing what it writes to stderr. */
async function cdmaHere(args: string[]): Promise<{ code: number; stderr: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await main(args), stderr };
  } finally {
    process.stderr.write = write;
  }
}

test('bad study options fail with one line and a non-zero exit', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'cdma-cli-study-')), 'run');
  for (const [args, message] of [
    [['--models', 'lenet'], /cdma: unknown network 'lenet' for --models; use some of: alexnet/],
    [['--steps', '3', '--epochs', '1'], /cdma: give --steps or --epochs, not both/],
    [['--tfjs-model', 'm.json'], /cdma: --tfjs-model and --images go together/],
    [['--every', '0'], /cdma: --every must be an integer >= 1, got '0'/],
    [['--report-only'], /cdma: cannot read .*results\.json/],
  ] as const) {
    const r = await cdmaHere(['study', '--out', out, '--quiet', ...args]);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
