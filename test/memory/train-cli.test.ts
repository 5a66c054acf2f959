import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { runCliProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const cdma = (argv: string[]) => runCliProcess(argv);

const base = [
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
  '100',
  '--quiet',
];

test('cdma train under a budget offloads, stays under it (evaluation included) and prints the memory summary', async () => {
  const r = await cdma([...base, '--policy', 'all', '--codec', 'zvc', '--budget', '7.5MiB']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^memory +policy all, codec zvc, link unlimited/m);
  assert.match(
    r.out,
    /^offloaded\/step +\S+ \S+ -> \S+ \S+ over the link \(ratio [\d.]+x, density [\d.]+%\)/m,
  );
  // Evaluating 400 images in one pass would not fit 7.5 MiB: the budget makes it use the training batch.
  const big = await cdma([
    ...base,
    '--test-limit',
    '400',
    '--policy',
    'all',
    '--budget',
    '7.5MiB',
    '--eval-batch',
    '400',
  ]);
  assert.equal(big.code, 1);
  assert.match(big.err, /^cdma: layer \S+ \(forward\) needs/);
});

test('cdma train stops before the first step when the policy cannot fit the budget', async () => {
  const r = await cdma([...base, '--policy', 'none', '--budget', '7.5MiB']);
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /^cdma: budget 7\.50 MiB is too small for policy none: layer \S+ \(\w+\) needs about [\d.]+ MiB of device memory; policy conv would fit/m,
  );
  assert.equal(r.out, '');
});

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  test(`${signal} during cdma train removes the spill folder and exits ${code}`, async (t) => {
    const dir = tempDir(t, 'spill-signal');
    let sent = false;
    const r = await runCliProcess(
      [
        ...base.filter((a) => a !== '--quiet'),
        '--steps',
        '500',
        '--policy',
        'all',
        '--host-store',
        dir,
      ],
      {
        onStderr: (err, child) => {
          // Once a step has run, offloaded activations are in spill files.
          if (!sent && /step|\d+\/500/.test(err) && readdirSync(dir).length > 0) {
            sent = true;
            child.kill(signal);
          }
        },
      },
    );
    assert.ok(sent, `the run never reached a step: ${r.err}`);
    assert.equal(r.code, code, r.err);
    assert.deepEqual(readdirSync(dir), [], 'no cdma-spill-* folder is left behind');
  });
}
