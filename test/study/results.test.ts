import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelAccumulator, ratioOverSteps } from '../../src/study/aggregate.js';
import { isSafeRelativePath, readResults, validateResults } from '../../src/study/results.js';
import { InputFileError } from '../../src/errors.js';
import { measurement, syntheticModel, syntheticResults } from './fixtures.js';
import { tempDir } from '../helpers/tmp.js';

test('the ratio over training is raw size over mean compressed size', () => {
  // raw 100 bytes compressed to 50 then 25: mean 37.5, ratio 100/37.5.
  assert.ok(Math.abs(ratioOverSteps([2, 4]) - 100 / 37.5) < 1e-12);
  assert.equal(ratioOverSteps([]), 0);
});

test('network-wide density weighs layers by their size', () => {
  const m = syntheticModel('net-small', [0]);
  // relu1: 288 elements at density 0.6, relu2: 16 elements at 0.3.
  const expected = (288 * 0.6 + 16 * 0.3) / 304;
  assert.ok(Math.abs(m.density - expected) < 1e-12);
  assert.equal(m.layers[0].bytesPerSample, 4 * 288);
});

test('network-wide ratio is total raw over total compressed bytes', () => {
  const m = syntheticModel('net-small', [0]);
  const [a, b] = m.layers;
  const expected =
    (a.bytesPerSample + b.bytesPerSample) /
    (a.bytesPerSample / a.ratios.zvc.nchw + b.bytesPerSample / b.ratios.zvc.nchw);
  assert.ok(Math.abs(m.ratios.zvc.nchw - expected) < 1e-9);
});

test('a resumed accumulator gives the same result as an uninterrupted one', () => {
  const whole = syntheticModel('net-small', [0, 10, 20, 30]);
  const first = new ModelAccumulator('net-small', 'net', 31);
  const t = (i: number) => i / 3;
  const step = (acc: ModelAccumulator, i: number) =>
    acc.addStep({
      step: i * 10,
      loss: 2 - t(i),
      accuracy: null,
      tensors: [
        measurement('relu1', 0.6 - 0.2 * t(i)),
        measurement('relu2', 0.3 - 0.1 * t(i), [16]),
      ],
    });
  step(first, 0);
  step(first, 1);
  const saved = JSON.parse(JSON.stringify(first.result(20, 'running')));
  const resumed = new ModelAccumulator(
    'net-small',
    'net',
    31,
    validateResults(syntheticResults([saved])).models[0],
  );
  step(resumed, 2);
  step(resumed, 3);
  resumed.addTime(10, 0.2);
  const r = resumed.result(31, 'complete');
  assert.deepEqual(r.steps, whole.steps);
  assert.deepEqual(
    r.layers.map((l) => l.series),
    whole.layers.map((l) => l.series),
  );
  assert.ok(Math.abs(r.ratios.rle.chwn - whole.ratios.rle.chwn) < 1e-12);
});

test('steps must increase and tensors must match earlier steps', () => {
  const acc = new ModelAccumulator('n', 'n', 10);
  acc.addStep({ step: 5, loss: null, accuracy: null, tensors: [measurement('relu1', 0.5)] });
  assert.throws(
    () =>
      acc.addStep({ step: 5, loss: null, accuracy: null, tensors: [measurement('relu1', 0.5)] }),
    RangeError,
  );
  assert.throws(
    () =>
      acc.addStep({ step: 6, loss: null, accuracy: null, tensors: [measurement('relu9', 0.5)] }),
    RangeError,
  );
  assert.throws(
    () => acc.addStep({ step: 7, loss: null, accuracy: null, tensors: [] }),
    RangeError,
  );
});

test('validation accepts what the builder writes and survives JSON', () => {
  const r = syntheticResults([
    syntheticModel('a-small', [0, 10, 20]),
    syntheticModel('b-small', [0, 10]),
  ]);
  const back = validateResults(JSON.parse(JSON.stringify(r)));
  assert.deepEqual(back, r);
});

test('validation names the bad field', () => {
  const good = JSON.parse(JSON.stringify(syntheticResults([syntheticModel('a-small', [0, 10])])));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- mutating untyped JSON on purpose
  const cases: [(o: any) => void, RegExp][] = [
    [(o) => (o.format = 'other'), /format/],
    [(o) => (o.version = 99), /version/],
    [(o) => (o.models[0].layers[1].density = 1.5), /models\[0\]\.layers\[1\]\.density/],
    [(o) => (o.models[0].layers[0].series.density = [0.1]), /series\.density: expected 2 entries/],
    [(o) => (o.models[0].ratios.zlib.chwn = 'x'), /ratios\.zlib\.chwn/],
    [(o) => (o.models[0].steps = [10, 0]), /strictly increasing/],
    [
      (o) =>
        (o.models[0].maps = [
          { layer: 'relu1', step: 0, file: '../../etc/passwd', channels: 1, density: 0 },
        ]),
      /relative path/,
    ],
    [(o) => o.models.push(o.models[0]), /duplicate model/],
    [(o) => (o.models[0].stepsDone = 1e9), /stepsDone/],
    [
      (o) => (o.models[0].layers[0].series.ratios.zvc.nchw[1] = 1e-300),
      /series\.ratios\.zvc\.nchw\[1\]: expected a ratio from 1\/64 to 1e\+6, found 1e-300/,
    ],
    [
      (o) => (o.models[0].layers[0].ratios.rle.nhwc = 0),
      /layers\[0\]\.ratios\.rle\.nhwc: expected a ratio from 1\/64 to 1e\+6, found 0/,
    ],
    [
      (o) => (o.models[0].ratios.zlib.nchw = 1e7),
      /models\[0\]\.ratios\.zlib\.nchw: expected a ratio/,
    ],
    [
      (o) => (o.models[0].layers[0].bytesPerSample = 4),
      /bytesPerSample: expected 1152 \(4 bytes per value of shape \[8, 6, 6\]\), found 4/,
    ],
    [(o) => (o.models[0].layers[0].shape = [2 ** 31, 1, 1]), /shape\[0\]: expected a number in/],
    [
      (o) => (o.config.batch = 1e308),
      /config\.batch: expected a number in \[1, 65536\], found 1e\+308/,
    ],
    [(o) => (o.config.seed = -1), /config\.seed/],
    [(o) => (o.config.zlib.level = 12), /config\.zlib\.level/],
    [(o) => (o.config.every = 2 ** 60), /config\.every/],
    [(o) => (o.models[0].accuracy = [0.5, 1.5]), /models\[0\]\.accuracy\[1\]/],
    [(o) => (o.models[0].loss = [0.5, '1']), /models\[0\]\.loss\[1\]: expected a finite number/],
  ];
  for (const [mutate, message] of cases) {
    const o = structuredClone(good);
    mutate(o);
    assert.throws(
      () => validateResults(o),
      (e: unknown) => e instanceof InputFileError && message.test((e as Error).message),
    );
  }
});

test('readResults reports unreadable and malformed files as input errors', (t) => {
  const dir = tempDir(t, 'results');
  assert.throws(() => readResults(join(dir, 'missing.json')), InputFileError);
  writeFileSync(join(dir, 'bad.json'), '{"format": ');
  assert.throws(() => readResults(join(dir, 'bad.json')), /not valid JSON/);
  writeFileSync(join(dir, 'null.json'), 'null');
  assert.throws(() => readResults(join(dir, 'null.json')), /expected an object/);
});

test('readResults refuses devices, pipes and oversized files before reading them', (t) => {
  const dir = tempDir(t, 'results');
  const refused = (path: string, re: RegExp) =>
    assert.throws(
      () => readResults(path),
      (e: unknown) => e instanceof InputFileError && re.test(e.message),
    );
  refused('/dev/zero', /^study results \/dev\/zero is a device/);
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  refused(fifo, /is a pipe/);
  const big = join(dir, 'big.json');
  writeFileSync(big, '');
  truncateSync(big, 256 * 1024 * 1024 + 1); // sparse
  refused(big, /is 256.00 MiB \(268435457 bytes\), over the .* limit/);
});

test('a study with no recorded step has ratios of 0, one with steps may not', () => {
  const empty = JSON.parse(JSON.stringify(syntheticResults([syntheticModel('a-small', [0])])));
  const m = empty.models[0];
  Object.assign(m, { steps: [], loss: [], accuracy: [], densitySeries: [], layers: [], maps: [] });
  for (const a of ['zvc', 'rle', 'zlib'])
    for (const l of ['nchw', 'nhwc', 'chwn']) {
      m.ratios[a][l] = 0;
      m.ratioSeries[a][l] = [];
    }
  assert.equal(validateResults(empty).models[0].ratios.zvc.nchw, 0);
});

test('safe relative paths stay inside the folder', () => {
  assert.ok(isSafeRelativePath('maps/alexnet-small/relu1-s0.png'));
  for (const p of ['', '/etc/passwd', '../x.png', 'maps/../../x', 'a//b', 'a b.png', 'c:\\x']) {
    assert.equal(isSafeRelativePath(p), false, p);
  }
});
