// The simulator's input files (--ratios, --study, --profile) go through the
// bounded reader and every number in them is range-checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputFileError } from '../../src/errors.js';
import { loadProfile, parseProfile } from '../../src/sim/profile.js';
import {
  loadRatioTable,
  loadStudy,
  parseRatioTable,
  parseStudy,
} from '../../src/sim/ratio-files.js';
import { tempDir } from '../helpers/tmp.js';

const loaders: [string, (p: string) => unknown][] = [
  ['ratio table', (p) => loadRatioTable(p)],
  ['study results', (p) => loadStudy(p, 'chain')],
  ['profile', (p) => loadProfile(p)],
];

function inputError(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputFileError, String(e));
    assert.match(e.message, re);
    assert.equal(e.message.split('\n').length, 1, e.message);
    return true;
  });
}

test('devices, pipes and folders are refused before a byte is read', (t) => {
  const dir = tempDir(t, 'sim-files');
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  for (const [what, load] of loaders) {
    inputError(() => load('/dev/zero'), new RegExp(`^${what} /dev/zero is a device`));
    inputError(() => load(fifo), new RegExp(`^${what} .*fifo is a pipe`));
    inputError(() => load(dir), new RegExp(`^${what} .* is a directory`));
  }
});

test('files over their limit are refused by size, not read', (t) => {
  const dir = tempDir(t, 'sim-files');
  for (const [what, load] of loaders) {
    const p = join(dir, `${what.replace(' ', '-')}.json`);
    writeFileSync(p, '');
    truncateSync(p, 257 * 1024 * 1024); // sparse: no disk used
    inputError(() => load(p), new RegExp(`^${what} .* over the .* limit`));
  }
});

test('ratio table entries must be ratios from 1/64 to 1e6', () => {
  for (const r of [1e-300, 1 / 65, 0, -1, 1e6 + 1, 1e308, '2', null, [2], { r: 2 }]) {
    inputError(
      () => parseRatioTable({ layers: { conv1: r } }, 't.json'),
      /^t\.json: layers\.conv1: expected a ratio from 1\/64 to 1e\+6 .*found /,
    );
    inputError(
      () => parseRatioTable({ default: r, layers: {} }, 't.json'),
      /^t\.json: default: expected a ratio from 1\/64/,
    );
  }
  for (const r of [1 / 64, 0.5, 1, 2.6, 1e6]) {
    assert.equal(parseRatioTable({ layers: { conv1: r } }).layers.get('conv1'), r);
  }
  inputError(() => parseRatioTable({ layers: { '': 2 } }, 't.json'), /a layer name is empty/);
  inputError(
    () => parseRatioTable({ layers: { 'a\nb': 1e-9 } }, 't.json'),
    /^t\.json: layers\["a\\nb"\]: expected a ratio/,
  );
});

test('study entries: densities in [0, 1], ratios 0 (not measured) or from 1/64 to 1e6', () => {
  const study = (layer: Record<string, unknown>) => ({
    models: [{ model: 'chain-small', layers: [{ layer: 'r1', ...layer }] }],
  });
  for (const d of [-0.1, 1.5, 1e308, 'x', null]) {
    inputError(
      () => parseStudy(study({ density: d }), 'chain', 's.json'),
      /^s\.json: models\[0\]\.layers\[0\]\.density: expected a number in \[0, 1\], found /,
    );
  }
  for (const r of [1e-300, -1, 2e6, 1e308]) {
    inputError(
      () => parseStudy(study({ density: 0.5, ratios: { zvc: { nchw: r } } }), 'chain', 's.json'),
      /ratios\.zvc\.nchw: expected a ratio from 1\/64 to 1e\+6 \(or 0: not measured\)/,
    );
  }
  const m = parseStudy(study({ density: 0.5, ratios: { zvc: { nchw: 0, nhwc: 3 } } }), 'chain');
  assert.deepEqual(m.tensors.get('r1')?.ratios, { zvc: { nhwc: 3 } });
});

test('profiles: batch, efficiencies and times within their documented ranges', () => {
  inputError(
    () => parseProfile({ batch: 1e9 }, undefined, 'p.json'),
    /^p\.json: batch: expected a positive integer up to 1048576, found 1000000000/,
  );
  inputError(
    () => parseProfile({ batch: 2.5 }, undefined, 'p.json'),
    /batch: expected a positive integer/,
  );
  inputError(
    () => parseProfile({ batch: 8, layers: { c: { forwardMs: 1e308, backwardMs: 1 } } }),
    /layers\.c\.forwardMs: expected milliseconds from 0 to 3600000 \(one hour\), found 1e\+308/,
  );
  inputError(
    () => parseProfile({ batch: 8, layers: { c: { forwardMs: 1, backwardMs: -1 } } }),
    /layers\.c\.backwardMs: expected milliseconds/,
  );
  inputError(
    () => parseProfile({ efficiency: { conv2d: 1e-300 * 0 } }),
    /efficiency\.conv2d: expected a number in \(0, 4\], found 0/,
  );
  inputError(
    () => parseProfile({ efficiency: { memory: 2 } }),
    /efficiency\.memory: expected a number in \(0, 1\]/,
  );
  inputError(() => parseProfile({ 'x\ny': 1 }), /^profile: "x\\ny": unknown field/);
  assert.equal(parseProfile({ batch: 1 << 20 }).batch, 1 << 20);
});
