import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCliProcess } from '../helpers/cli.js';

const capture = (argv: string[]) => runCliProcess(argv);

test('cdma compare runs oracle, vDNN and cDMA on the same seed and reports identical weights', async () => {
  const r = await capture([
    'compare',
    '--model',
    'nin-small',
    '--batch',
    '8',
    '--steps',
    '2',
    '--link',
    '50MBps',
    '--codecs',
    'zvc,rle',
    '--test-limit',
    '16',
    '--json',
    '--quiet',
  ]);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(
    j.runs.map((x: { name: string }) => x.name),
    ['oracle', 'vDNN', 'cDMA', 'cDMA-rle'],
  );
  assert.equal(j.weightsMatch, true);
  const [oracle, vdnn, cdma] = j.runs;
  assert.equal(oracle.relative, 1);
  assert.equal(oracle.linkBytesPerStep, 0);
  // codec none: what crosses the link is the container, its header and frames a few bytes more.
  assert.ok(vdnn.ratio <= 1 && vdnn.ratio > 0.999, String(vdnn.ratio));
  assert.ok(vdnn.linkBytesPerStep > 0);
  assert.ok(cdma.ratio > 1 && cdma.linkBytesPerStep < vdnn.linkBytesPerStep);
  assert.ok(cdma.density > 0 && cdma.density < 1);
  assert.ok(vdnn.peakDeviceBytes < oracle.peakDeviceBytes);
  for (const x of j.runs) assert.equal(x.weightsSha256, oracle.weightsSha256);
  assert.equal(j.link.bytesPerSecond, 50e6);
});

test('cdma compare prints a table and rejects bad options in one line', async () => {
  const r = await capture([
    'compare',
    '--model',
    'nin-small',
    '--batch',
    '4',
    '--steps',
    '1',
    '--link',
    'unlimited',
    '--test-limit',
    '8',
    '--quiet',
  ]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^run +policy +codec +step ms +vs oracle/m);
  assert.match(r.out, /^cDMA +all +zvc/m);
  assert.match(r.out, /weights: identical in every run/);
  const bad = await capture(['compare', '--model', 'nin-small', '--link', 'pcie9', '--quiet']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^cdma: unknown link 'pcie9'/);
  assert.equal(bad.err.trim().split('\n').length, 1);
});
