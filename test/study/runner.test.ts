import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runStudy, smallVariant, type StudyOptions } from '../../src/study/runner.js';
import { readResults, type ModelResult } from '../../src/study/results.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';

const base = (out: string): StudyOptions => ({
  models: ['alexnet', 'nin'],
  dataset: 'mnist',
  steps: 6,
  every: 2,
  batch: 8,
  lr: 0.01,
  lrSchedule: 'linear',
  warmup: 2,
  momentum: 0.9,
  weightDecay: 5e-4,
  seed: 7,
  backend: 'wasm',
  out,
  zlibLevel: 6,
  zlibSampleImages: 4,
  maps: 2,
  mapLayers: 3,
  mapChannels: 4,
  limit: 256,
  threads: true,
  fresh: false,
});

/** What must not depend on how the run was split: everything but timings. */
const comparable = (m: ModelResult) => ({ ...m, overhead: undefined });

test('network names map to the -small variants', () => {
  assert.equal(smallVariant('AlexNet'), 'alexnet-small');
  assert.equal(smallVariant('vgg16-small'), 'vgg16-small');
  assert.throws(
    () => smallVariant('lenet'),
    (e) => e instanceof InvalidArgumentError && /alexnet, overfeat/.test(e.message),
  );
});

test('a study interrupted and resumed gives the same results as one run straight through', async (t) => {
  const root = tempDir(t, 'study');
  const straight = join(root, 'straight');
  const split = join(root, 'split');

  const a = await runStudy(base(straight));
  assert.equal(a.interrupted, false);
  const ra = readResults(join(straight, 'results.json'));
  assert.deepEqual(
    ra.models.map((m) => [m.model, m.requested, m.status, m.stepsDone]),
    [
      ['alexnet-small', 'alexnet', 'complete', 6],
      ['nin-small', 'nin', 'complete', 6],
    ],
  );
  for (const m of ra.models) {
    assert.deepEqual(m.steps, [0, 2, 4, 5]);
    assert.ok(m.layers.length > 5);
    assert.ok(m.layers.every((l) => l.series.density.length === 4));
    assert.ok(m.maps.length > 0 && m.maps.length <= 2 * 3);
    for (const map of m.maps) assert.ok(existsSync(join(straight, map.file)), map.file);
    assert.ok(m.overhead.trainSeconds > 0 && m.overhead.measureSeconds > 0);
  }
  assert.equal(
    existsSync(join(straight, 'checkpoints', 'nin-small.ckpt')),
    false,
    'a finished model leaves no checkpoint',
  );

  // Interrupt nin-small after its third step.
  const controller = new AbortController();
  const first = await runStudy({
    ...base(split),
    signal: controller.signal,
    progress: (model) => ({
      update(done) {
        if (model === 'nin-small' && done === 3) controller.abort();
      },
      stop() {},
    }),
  });
  assert.equal(first.interrupted, true);
  const mid = readResults(join(split, 'results.json'));
  assert.deepEqual(
    mid.models.map((m) => [m.status, m.stepsDone]),
    [
      ['complete', 6],
      ['running', 3],
    ],
  );
  assert.ok(existsSync(join(split, 'checkpoints', 'nin-small.ckpt')));

  const lines: string[] = [];
  const second = await runStudy({ ...base(split), log: (l) => lines.push(l) });
  assert.equal(second.interrupted, false);
  assert.ok(lines.some((l) => /alexnet-small: already complete/.test(l)));
  assert.ok(lines.some((l) => /nin-small: resuming at step 3 of 6/.test(l)));
  const rb = readResults(join(split, 'results.json'));
  assert.deepEqual(rb.models.map(comparable), ra.models.map(comparable));

  // Other settings cannot resume into the same folder.
  await assert.rejects(
    runStudy({ ...base(split), batch: 4 }),
    /different settings \(batch 8 \(now 4\)\)/,
  );
});

test('a damaged checkpoint restarts the model instead of resuming from garbage', async (t) => {
  const root = tempDir(t, 'study');
  const out = join(root, 'run');
  const controller = new AbortController();
  const opts = { ...base(out), models: ['alexnet'] };
  await runStudy({
    ...opts,
    signal: controller.signal,
    progress: () => ({
      update(done) {
        if (done === 3) controller.abort();
      },
      stop() {},
    }),
  });
  const ckpt = join(out, 'checkpoints', 'alexnet-small.ckpt');
  const bytes = readFileSync(ckpt);
  bytes[bytes.length - 5] ^= 0x40;
  writeFileSync(ckpt, bytes);
  const lines: string[] = [];
  await runStudy({ ...opts, log: (l) => lines.push(l) });
  assert.ok(
    lines.some((l) => /cannot resume \(checkpoint .* is corrupt \(checksum mismatch\)/.test(l)),
    lines.join('\n'),
  );
  const r = readResults(join(out, 'results.json'));
  assert.deepEqual(r.models[0].steps, [0, 2, 4, 5]);
  assert.equal(r.models[0].status, 'complete');
});
