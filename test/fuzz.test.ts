// A seeded subset of `npm run fuzz`: every reader gets a few hundred mutated
// inputs (its seeds first), and any finding fails the test with its list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { runFuzz } from '../fuzz/engine.js';
import { READERS } from '../fuzz/readers.js';
import { findingsList, statsTable } from '../fuzz/report.js';
import { Rng } from '../fuzz/rng.js';
import { buildSeeds } from '../fuzz/seeds.js';
import { makeInput } from '../fuzz/strategies.js';
import { makeTempDir, removeDir } from './helpers/tmp.js';

const COUNT = 100;
const SEED = 20240601;

test('every reader ends each fuzzed input in success or a typed error, in time and memory', async (t) => {
  const tmpRoot = makeTempDir('fuzz');
  t.after(() => removeDir(tmpRoot));
  const r = await runFuzz({
    readers: READERS,
    count: COUNT,
    seed: SEED,
    jobs: Math.min(2, availableParallelism()),
    timeoutMs: 5000,
    memCapBytes: 256 * 1024 * 1024,
    tmpRoot,
    findingsDir: join(tmpRoot, 'findings'),
  });
  assert.deepEqual(
    r.stats.map((s) => s.reader),
    [...READERS],
  );
  for (const s of r.stats) {
    assert.equal(s.inputs, COUNT, s.reader);
    assert.ok(s.ok > 0, `${s.reader}: no input was read successfully (the seeds are valid)`);
  }
  const findings = r.findings.findings();
  assert.equal(
    findings.length,
    0,
    `${findings.length} distinct findings:\n${findingsList(findings)}\n\n${statsTable(r.stats)}`,
  );
});

test('inputs depend only on the seed, and mutated documents stay small', async (t) => {
  const tmpRoot = makeTempDir('fuzz-inputs');
  t.after(() => removeDir(tmpRoot));
  const readers = ['container', 'profile'] as const;
  const a = await buildSeeds(readers, tmpRoot, 5);
  const b = await buildSeeds(readers, tmpRoot, 5);
  for (const reader of readers) {
    const ra = new Rng(5, 1);
    const rb = new Rng(5, 1);
    for (let i = 0; i < 500; i++) {
      const x = makeInput(reader, ra, a.get(reader) ?? []);
      const y = makeInput(reader, rb, b.get(reader) ?? []);
      assert.deepEqual(x, y, `${reader} input ${i}`);
      for (const bytes of Object.values(x.write)) assert.ok(bytes.length < 16 * 1024 * 1024);
    }
  }
});
