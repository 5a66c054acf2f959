// Behaviour pinned before the model-plan refactor: the same seed gives the
// same weights on every -small network (oracle and offloaded), the memory
// manager plans the same saved buffers and peak estimates, and `cdma
// simulate --json` prints the same numbers for the paper's six networks.
// A deliberate change regenerates the files (test/golden/make-golden.ts and
// the loop in test/golden/README.md) and is named in its commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { FULL, SMALL, hashes, planFacts, type GoldenModel } from './golden.js';
import { initBackend } from '../../src/nn/backend.js';
import { runCli } from '../helpers/cli.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const golden = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as Record<
  string,
  GoldenModel
>;

test('saved buffers and peak estimates per policy are unchanged on every zoo network', async () => {
  for (const name of FULL) {
    const { hashes: _, ...want } = golden[name];
    assert.deepEqual(await planFacts(name, 32), want, name);
  }
  for (const name of SMALL) {
    const { hashes: _, ...want } = golden[name];
    assert.deepEqual(await planFacts(name, 16), want, name);
  }
});

test('the same seed gives the pinned weights hash on every -small network, oracle and all/zvc', async () => {
  await initBackend('wasm');
  for (const name of SMALL) {
    const got = await hashes(name);
    assert.equal(got.oracle, golden[name].hashes!.oracle, `${name} oracle`);
    assert.equal(got.allZvc, golden[name].hashes!.allZvc, `${name} all/zvc`);
  }
});

test('cdma simulate --json prints the pinned numbers for the six networks', async () => {
  const files = readdirSync(join(dir, 'simulate')).filter((f) => f.endsWith('.json'));
  assert.equal(files.length, 12);
  for (const f of files) {
    const [model, policy] = f.replace('.json', '').split('-');
    const r = await runCli('simulate', '--model', model, '--policy', policy, '--json');
    assert.equal(r.code, 0, r.err);
    const want = JSON.parse(readFileSync(join(dir, 'simulate', f), 'utf8'));
    assert.deepEqual(JSON.parse(r.out), want, f);
  }
});
