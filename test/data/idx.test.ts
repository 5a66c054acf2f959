import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { InputFileError } from '../../src/errors.js';
import { parseIdx } from '../../src/data/idx.js';
import { loadRawDataset } from '../../src/data/source.js';
import { idxBytes, px, tempDir, writeFile, writeIdxSet } from './helpers.js';

for (const gz of [false, true]) {
  test(`an IDX directory (${gz ? 'gzipped' : 'plain'}) loads images and labels exactly`, (t) => {
    const dir = tempDir(t);
    writeIdxSet(dir, 'train', 12, 5, 4, gz);
    writeIdxSet(dir, 't10k', 6, 5, 4, gz, (n) => 9 - n);
    const d = loadRawDataset(`idx:${dir}`);
    assert.deepEqual(d.shape, [1, 5, 4]);
    assert.equal(d.numClasses, 10);
    assert.equal(d.train.count, 12);
    assert.equal(d.test.count, 6);
    assert.deepEqual([...d.train.labels], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    assert.deepEqual([...d.test.labels], [9, 8, 7, 6, 5, 4]);
    assert.equal(d.train.pixels[3 * 20 + 7], px(3, 7));
    assert.equal(d.test.pixels[5 * 20 + 19], px(5, 19));
  });
}

test('the dotted naming (train-images.idx3-ubyte) is found too, and limits spread evenly', (t) => {
  const dir = tempDir(t);
  writeIdxSet(dir, 'train', 10, 2, 2, false);
  writeIdxSet(dir, 't10k', 4, 2, 2, false);
  for (const k of ['images-idx3', 'labels-idx1']) {
    renameSync(join(dir, `train-${k}-ubyte`), join(dir, `train-${k.replace('-', '.')}-ubyte`));
  }
  const d = loadRawDataset(`mnist:${dir}`, { limit: 5, testLimit: 2 });
  assert.deepEqual([...d.train.labels], [0, 2, 4, 6, 8]);
  assert.deepEqual([...d.test.labels], [0, 2]);
  assert.deepEqual(d.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
});

test('parseIdx rejects wrong magic, types, dimension counts, zero dims, truncation and trailing bytes', () => {
  const ok = idxBytes([2, 2, 2], new Uint8Array(8));
  assert.deepEqual(parseIdx(ok, 'f', [3]).dims, [2, 2, 2]);
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array([0, 0, 8]), /too short/],
    [Uint8Array.from([1, ...ok.subarray(1)]), /bad magic/],
    [idxBytes([2, 2, 2], new Uint8Array(32), 0x0d), /float32 is not supported/],
    [idxBytes([8], new Uint8Array(8)), /1 dimensions, expected 3/],
    [idxBytes([0, 2, 2], new Uint8Array(0)), /dimension 0 is zero/],
    [ok.subarray(0, ok.length - 1), /truncated/],
    [Uint8Array.from([...ok, 0]), /trailing bytes/],
    [ok.subarray(0, 10), /header is truncated/],
  ];
  for (const [buf, re] of cases) {
    assert.throws(
      () => parseIdx(buf, 'f', [3]),
      (e: unknown) => e instanceof InputFileError && re.test(e.message),
    );
  }
});

test('absurd IDX dimensions are refused from the header, without allocating', () => {
  // 4e9 x 4e9 x 4e9 claimed by a 20-byte file.
  const forged = idxBytes([4e9, 4e9, 4e9], new Uint8Array(0));
  assert.throws(() => parseIdx(forged, 'f', [3]), /need .* bytes of data but the file has 0/);
});

test('gzipped IDX files inflate only as far as their header declares', (t) => {
  const dir = tempDir(t);
  writeIdxSet(dir, 'train', 4, 3, 3, true);
  writeIdxSet(dir, 't10k', 4, 3, 3, true);
  // A bomb: 4 labels declared, 64 MiB of zeros behind them.
  const bomb = new Uint8Array(4 + 4 + (64 << 20));
  bomb.set(idxBytes([4], Uint8Array.from([1, 2, 3, 4])));
  writeFile(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(bomb));
  assert.throws(
    () => loadRawDataset(`idx:${dir}`),
    (e: unknown) =>
      e instanceof InputFileError &&
      /decompresses to more than the 12 bytes its IDX header declares/.test(e.message),
  );
  // Forged dimensions in a gzipped header: refused before inflating the rest.
  writeFile(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(idxBytes([4], new Uint8Array(4))));
  writeFile(
    join(dir, 't10k-images-idx3-ubyte.gz'),
    gzipSync(idxBytes([60000, 60000, 60000], new Uint8Array(9))),
  );
  assert.throws(() => loadRawDataset(`idx:${dir}`), /declare 216000000000000 bytes, more than/);
  writeFile(
    join(dir, 't10k-images-idx3-ubyte.gz'),
    Uint8Array.from([0x1f, 0x8b, 0, 1, 2, 3, 4, 5, 6, 7]),
  );
  assert.throws(() => loadRawDataset(`idx:${dir}`), /is not valid gzip/);
});

test('IDX directory errors are one-line InputFileErrors that say what to do', (t) => {
  const dir = tempDir(t);
  const one = (spec: string, re: RegExp) =>
    assert.throws(
      () => loadRawDataset(spec),
      (e: unknown) =>
        e instanceof InputFileError && re.test(e.message) && !e.message.includes('\n'),
    );
  one(`idx:${join(dir, 'nope')}`, /does not exist/);
  one(`idx:${dir}`, /train-images-idx3-ubyte\[\.gz\] not found/);
  writeIdxSet(dir, 'train', 4, 3, 3, false);
  one(`idx:${dir}`, /t10k-images-idx3-ubyte\[\.gz\] not found/);
  writeIdxSet(dir, 't10k', 4, 3, 2, false);
  one(`idx:${dir}`, /training images are 1x3x3 but test images 1x3x2/);
  writeIdxSet(dir, 't10k', 4, 3, 3, false);
  writeFile(join(dir, 't10k-labels-idx1-ubyte'), idxBytes([3], new Uint8Array(3)));
  one(`idx:${dir}`, /holds 4 images but .* 3 labels/);
  writeFile(
    join(dir, 't10k-labels-idx1-ubyte'),
    gzipSync(idxBytes([4], new Uint8Array(4))).subarray(0, 15),
  );
  one(`idx:${dir}`, /not valid gzip/);
  writeFile(join(dir, 't10k-labels-idx1-ubyte'), idxBytes([4], new Uint8Array(4)));
  one(`fashion-mnist:${join(dir, 'missing')}`, /does not exist/);
  // every label 0: fewer than two classes
  writeIdxSet(dir, 'train', 4, 3, 3, false, () => 0);
  writeIdxSet(dir, 't10k', 4, 3, 3, false, () => 0);
  one(`idx:${dir}`, /need at least two classes/);
  // a label beyond the named classes
  writeIdxSet(dir, 'train', 4, 3, 3, false, (n) => (n === 2 ? 10 : n));
  one(`mnist:${dir}`, /label 10 at index 2 is not below 10 classes/);
});
