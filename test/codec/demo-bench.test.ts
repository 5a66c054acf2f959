import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { runDemo } from '../../src/cli/commands/demo.js';
import { captureOutput, runCliProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const capture = captureOutput;

test('demo: every codec in every layout round-trips; ZVC ignores the layout, RLE does not', () => {
  const { header, rows } = runDemo({
    density: '0.35',
    pattern: 'clustered',
    batch: '1',
    seed: '3',
    runs: '1',
  });
  assert.equal(rows.length, 4 * 3);
  assert.ok(Math.abs((header.density as number) - 0.35) < 0.01);
  const ratio = (codec: string, layout: string): number =>
    rows.find((r) => r.codec === codec && r.layout === layout)!.ratio;
  assert.ok(rows.every((r) => r.roundTrip === 'ok' && r.compressGBs > 0 && r.decompressGBs > 0));
  assert.equal(ratio('zvc', 'nchw'), ratio('zvc', 'nhwc'));
  assert.equal(ratio('zvc', 'nchw'), ratio('zvc', 'chwn'));
  assert.ok(ratio('zvc', 'nchw') > 2.5 && ratio('zvc', 'nchw') < 2.8);
  assert.notEqual(ratio('rle', 'nchw'), ratio('rle', 'nhwc'));
  assert.equal(ratio('none', 'nchw'), 1);
});

test('cdma demo prints a table; bad options give a one-line error and exit 1', async () => {
  const ok = await capture(() => main(['demo', '--batch', '1', '--runs', '1', '--pattern', 'iid']));
  assert.equal(ok.code, 0);
  assert.match(ok.out, /codec\s+layout\s+ratio/);
  assert.match(ok.out, /zvc \((wasm|ts)\)\s+nchw/);
  const json = await capture(() => main(['demo', '--batch', '1', '--runs', '1', '--json']));
  assert.equal(JSON.parse(json.out).results.length, 12);
  const bad = await capture(() => main(['demo', '--density', '2']));
  assert.equal(bad.code, 1);
  assert.equal(bad.err, "cdma: --density must be a number from 0 to 1, got '2'\n");
});

test('bench:codecs --quick runs every codec and writes JSON with the targets', async (t) => {
  const dir = tempDir(t, 'bench');
  const out = join(dir, 'codecs.json');
  const r = await runCliProcess(['--quick', '--runs', '1', '--out', out], {
    script: 'bench/codecs.ts',
  });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\| zeros \| bits \| density \| codec \|/);
  assert.match(r.out, /before \(zvc-v1\) and after/);
  const report = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(report.quick, true);
  const names = new Set(report.rows.map((row: { codec: string }) => row.codec));
  for (const name of [
    'memcpy (TypedArray.set)',
    'zvc wasm (in heap)',
    'zvc-v1 wasm (in heap, before)',
    'zvc wasm (Uint8Array API)',
    'zvc ts',
    'rle (8/8)',
    'zlib 6',
    'node:zlib deflate 1',
  ])
    assert.ok(names.has(name), name);
  // float32: every contender on 8 tensors; 16-bit: memcpy and the four zvc contenders.
  const rows32 = report.rows.filter((row: { bits: number }) => row.bits === 32);
  const rows16 = report.rows.filter((row: { bits: number }) => row.bits === 16);
  assert.equal(rows32.length, 8 * names.size);
  assert.equal(rows16.length, 8 * 5);
  assert.ok(report.targets.length >= 4);
});
