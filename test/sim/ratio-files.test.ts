import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputFileError } from '../../src/errors.js';
import { analyzeModel } from '../../src/nn/shapes.js';
import {
  loadRatioTable,
  loadStudy,
  parseRatioTable,
  parseStudy,
} from '../../src/sim/ratio-files.js';
import { resolveRatios } from '../../src/sim/ratio-source.js';
import { zvcRatio } from '../../src/sim/ratios.js';
import { simTensors } from '../../src/sim/tensors.js';
import { ModelPlan } from '../../src/plan/index.js';
import { chain } from './fixtures.js';
import { tempDir } from '../helpers/tmp.js';

const study = {
  models: [
    {
      model: 'chain-small',
      requested: 'chain',
      layers: [
        {
          layer: 'r1',
          role: 'output',
          density: 0.25,
          ratios: { zvc: { nchw: 3.5 }, rle: { nchw: 2.5, nhwc: 1.5 }, zlib: { nchw: 4 } },
        },
        { layer: 'r2', density: 0.5, ratios: { zvc: { nchw: 0 } } },
      ],
    },
  ],
};

test('a study is read by model name, requested name or -small variant', () => {
  assert.equal(parseStudy(study, 'chain').model, 'chain-small');
  assert.equal(parseStudy(study, 'chain-small').model, 'chain-small');
  const m = parseStudy(study, 'chain');
  assert.equal(m.tensors.get('r1')?.ratios.rle?.nhwc, 1.5);
  assert.equal(m.tensors.get('r2')?.ratios.zvc, undefined, 'a 0 ratio means not measured');
  assert.throws(
    () => parseStudy(study, 'vgg16'),
    /no results for model 'vgg16' \(it has: chain-small\)/,
  );
});

test('malformed studies are InputFileErrors naming the field', () => {
  const bad = (json: unknown, re: RegExp) =>
    assert.throws(
      () => parseStudy(json, 'chain'),
      (e: unknown) => e instanceof InputFileError && re.test((e as Error).message),
    );
  bad(null, /top level: expected an object/);
  bad({ models: {} }, /models: expected an array/);
  bad({ models: [{}] }, /models\[0\]\.model: expected a string/);
  bad({ models: [{ model: 'chain', layers: 3 }] }, /models\[0\]\.layers: expected an array/);
  bad(
    { models: [{ model: 'chain', layers: [{ layer: 'r1', density: 2 }] }] },
    /layers\[0\]\.density: expected a number in \[0, 1\]/,
  );
  bad({ models: [{ model: 'chain', layers: [{ layer: 'r1', density: 0.1, role: 'x' }] }] }, /role/);
  bad(
    {
      models: [
        { model: 'chain', layers: [{ layer: 'r1', density: 0.1, ratios: { zvc: { nchw: -1 } } }] },
      ],
    },
    /ratios\.zvc\.nchw/,
  );
  bad(
    {
      models: [
        {
          model: 'chain',
          layers: [
            { layer: 'r1', density: 0.1 },
            { layer: 'r1', density: 0.2 },
          ],
        },
      ],
    },
    /duplicate entry for 'r1'/,
  );
});

test('ratio tables: a layers map and an optional default, validated', () => {
  const t = parseRatioTable({ layers: { r1: 3, 'd6:mask': 2 }, default: 1.5 });
  assert.equal(t.layers.get('r1'), 3);
  assert.equal(t.default, 1.5);
  assert.throws(
    () => parseRatioTable({ layers: { r1: 0 } }),
    /layers\.r1: expected a ratio from 1\/64 to 1e\+6 .*found 0/,
  );
  assert.throws(() => parseRatioTable({ ratios: {} }), /ratios: unknown field/);
  assert.throws(() => parseRatioTable([]), /expected an object/);
});

test('files: unreadable paths and invalid JSON are InputFileErrors', (t) => {
  const dir = tempDir(t, 'sim');
  const p = join(dir, 'r.json');
  writeFileSync(p, '{ not json');
  assert.throws(
    () => loadRatioTable(p),
    (e: unknown) => e instanceof InputFileError && /not valid JSON/.test(String(e)),
  );
  assert.throws(
    () => loadStudy(join(dir, 'missing.json'), 'chain'),
    /study results .*missing\.json does not exist/,
  );
  writeFileSync(p, JSON.stringify(study));
  assert.equal(loadStudy(p, 'chain').tensors.size, 2);
});

test('resolving ratios: measured where present, density-derived otherwise, missing reported', () => {
  const a = analyzeModel(chain());
  const ts = simTensors(ModelPlan.fromAnalysis(a));
  const measured = parseStudy(study, 'chain');
  const req = { elementBytes: 4 as const, layout: 'nchw' as const, batch: 2 };
  const zvc = resolveRatios(a, ts, { ...req, codec: 'zvc' }, { kind: 'study', measured });
  assert.deepEqual(zvc.byKey.get('a:r1'), { ratio: 3.5, density: 0.25, origin: 'measured' });
  // r2 has no zvc ratio: computed from its density with the exact formula.
  assert.equal(zvc.byKey.get('a:r2')?.ratio, zvcRatio(8192 * 2, 0.5, 4));
  assert.equal(zvc.byKey.get('a:r2')?.origin, 'measured-density');
  assert.deepEqual(zvc.missing, ['a:data', 'a:loss']);
  // 16-bit: measured fp32 ZVC ratios do not apply; the 16-bit formula on the density does.
  const half = resolveRatios(
    a,
    ts,
    { ...req, elementBytes: 2, codec: 'zvc' },
    { kind: 'study', measured },
  );
  assert.equal(half.byKey.get('a:r1')?.ratio, zvcRatio(8192 * 2, 0.25, 2));
  // zlib: only measured values; r2 has none.
  const zlib = resolveRatios(a, ts, { ...req, codec: 'zlib' }, { kind: 'study', measured });
  assert.equal(zlib.byKey.get('a:r1')?.ratio, 4);
  assert.ok(zlib.missing.includes('a:r2'));
  // Density source: ReLU outputs at d, the image dense.
  const dens = resolveRatios(a, ts, { ...req, codec: 'zvc' }, { kind: 'density', density: 0.1 });
  assert.equal(dens.byKey.get('a:r1')?.density, 0.1);
  assert.equal(dens.byKey.get('a:data')?.density, 1);
  // Table: names, then default.
  const tab = resolveRatios(
    a,
    ts,
    { ...req, codec: 'rle' },
    { kind: 'table', table: { layers: new Map([['f', 5]]) } },
  );
  assert.equal(tab.byKey.get('a:r2')?.ratio, 5, 'a flatten view name finds the tensor it aliases');
  assert.deepEqual(tab.missing, ['a:data', 'a:r1', 'a:loss']);
});
