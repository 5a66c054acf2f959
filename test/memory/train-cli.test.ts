import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCliProcess } from '../helpers/cli.js';

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
  const r = await cdma([...base, '--policy', 'all', '--codec', 'zvc', '--budget', '5MiB']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^memory +policy all, codec zvc, link unlimited/m);
  assert.match(
    r.out,
    /^offloaded\/step +\S+ \S+ -> \S+ \S+ over the link \(ratio [\d.]+x, density [\d.]+%\)/m,
  );
  // Evaluating 100 images in one pass would not fit 5 MiB: the budget makes it use the training batch.
  const big = await cdma([...base, '--policy', 'all', '--budget', '5MiB', '--eval-batch', '100']);
  assert.equal(big.code, 1);
  assert.match(big.err, /^cdma: layer \S+ \(forward\) needs/);
});

test('cdma train stops before the first step when the policy cannot fit the budget', async () => {
  const r = await cdma([...base, '--policy', 'none', '--budget', '5MiB']);
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /^cdma: budget 5\.00 MiB is too small for policy none: layer \S+ \(\w+\) needs about [\d.]+ MiB of device memory; policy conv would fit/m,
  );
  assert.equal(r.out, '');
});
