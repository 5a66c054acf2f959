import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputFileError } from '../../src/errors.js';
import { analyzeModel } from '../../src/nn/shapes.js';
import { getGpu } from '../../src/sim/gpus.js';
import { parseProfile } from '../../src/sim/profile.js';
import { convGeometry, directFlops } from '../../src/sim/conv-algos.js';
import { IMPLICIT_SPEED, layerBytes, layerTimes } from '../../src/sim/roofline.js';
import { chain, wide } from './fixtures.js';

const a = analyzeModel(chain());
const w = analyzeModel(wide());
const titanx = getGpu('titanx');
const near = (x: number, y: number) =>
  Math.abs(x - y) <= 1e-12 * Math.max(Math.abs(x), Math.abs(y));

test('convolutions are compute-bound at 50% of peak (35% memory-optimal), ReLUs memory-bound at 80% of DRAM bandwidth', () => {
  const t = layerTimes({ analysis: w, batch: 64, gpu: titanx, elementBytes: 4 });
  const c = t[1];
  assert.equal(c.forwardBound, 'compute');
  assert.equal(c.algos?.forward, 'gemm', 'a 16x16 map: FFT spectra cost more than they save');
  const direct = directFlops(convGeometry(w.layers[1], 64)!);
  assert.ok(near(c.forward, direct / (7e12 * 0.5)));
  const m = layerTimes({ analysis: w, batch: 64, gpu: titanx, elementBytes: 4, algo: 'memory' });
  assert.ok(near(m[1].forward, direct / (7e12 * 0.5 * IMPLICIT_SPEED)));
  assert.equal(IMPLICIT_SPEED * 0.5, 0.35);
  const r = t[2];
  assert.equal(r.forwardBound, 'memory');
  assert.equal(r.forwardBytes, 2 * 16384 * 64 * 4);
  assert.ok(near(r.forward, r.forwardBytes / (336.5e9 * 0.8)));
  assert.equal(t[3].forward, 0, 'flatten is a view');
});

test('16-bit activations halve traffic and use tensor cores where the GPU has them', () => {
  const v100 = getGpu('v100');
  const f32 = layerTimes({ analysis: w, batch: 64, gpu: v100, elementBytes: 4 });
  const f16 = layerTimes({ analysis: w, batch: 64, gpu: v100, elementBytes: 2 });
  assert.equal(f16[2].forwardBytes * 2, f32[2].forwardBytes);
  assert.ok(f16[1].forward < f32[1].forward / 4);
  // Titan X has no fast fp16: convolution math time is unchanged.
  const tx16 = layerTimes({ analysis: w, batch: 64, gpu: titanx, elementBytes: 2 });
  const tx32 = layerTimes({ analysis: w, batch: 64, gpu: titanx, elementBytes: 4 });
  assert.equal(tx16[1].forward, tx32[1].forward);
});

test('backward bytes count saved tensors, dY, dX and weight traffic', () => {
  const d = a.layers[6];
  const b = layerBytes(d, 2, 4);
  assert.equal(b.forward, (8192 + 10) * 2 * 4 + d.params * 4);
  assert.equal(b.backward, 8192 * 2 * 4 + 10 * 2 * 4 + 8192 * 2 * 4 + 2 * d.params * 4);
});

test('a profile overrides efficiencies and layer times (scaled to the batch)', () => {
  const names = new Set(a.spec.layers.map((l) => l.name));
  const p = parseProfile(
    { batch: 32, efficiency: { conv2d: 0.35 }, layers: { d: { forwardMs: 2, backwardMs: 4 } } },
    names,
  );
  // A measured conv efficiency replaces the algorithm model: direct FLOPs at that rate.
  const pw = parseProfile({ efficiency: { conv2d: 0.35 } });
  const tw = layerTimes({ analysis: w, batch: 64, gpu: titanx, elementBytes: 4, profile: pw });
  assert.ok(near(tw[1].forward, (w.layers[1].forwardFlops * 64) / (7e12 * 0.35)));
  assert.equal(tw[1].algos, null);
  const t = layerTimes({ analysis: a, batch: 64, gpu: titanx, elementBytes: 4, profile: p });
  assert.equal(t[6].forward, 0.004);
  assert.equal(t[6].backward, 0.008);
  assert.equal(t[6].forwardBound, 'profile');
});

test('malformed profiles are InputFileErrors naming the field', () => {
  const names = new Set(a.spec.layers.map((l) => l.name));
  const bad = (json: unknown, re: RegExp) =>
    assert.throws(
      () => parseProfile(json, names),
      (e: unknown) => e instanceof InputFileError && re.test((e as Error).message),
    );
  bad([], /top level/);
  bad({ layers: { d: { forwardMs: 1, backwardMs: 1 } } }, /batch: required with layer times/);
  bad(
    { batch: 8, layers: { nope: { forwardMs: 1, backwardMs: 1 } } },
    /layers\.nope: no layer of that name/,
  );
  bad({ batch: 8, layers: { d: { forwardMs: -1, backwardMs: 1 } } }, /layers\.d\.forwardMs/);
  bad({ efficiency: { conv3d: 0.5 } }, /efficiency\.conv3d: unknown layer kind/);
  bad({ efficiency: { memory: 1.5 } }, /efficiency\.memory/);
  bad({ batch: 0 }, /batch: expected a positive integer/);
  bad({ extra: 1 }, /extra: unknown field/);
});

test('loadProfile: missing files and bad JSON are InputFileErrors', async (t) => {
  const { loadProfile } = await import('../../src/sim/profile.js');
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tempDir } = await import('../helpers/tmp.js');
  const dir = tempDir(t, 'prof');
  assert.throws(
    () => loadProfile(join(dir, 'none.json')),
    (e: unknown) => e instanceof InputFileError,
  );
  writeFileSync(join(dir, 'p.json'), '{"batch": 4,');
  assert.throws(() => loadProfile(join(dir, 'p.json')), /profile .*p\.json is not valid JSON/);
  writeFileSync(join(dir, 'p.json'), JSON.stringify({ efficiency: { conv2d: 0.9 } }));
  assert.equal(loadProfile(join(dir, 'p.json')).efficiency?.compute?.conv2d, 0.9);
});
