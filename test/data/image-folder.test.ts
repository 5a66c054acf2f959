import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { InputFileError } from '../../src/errors.js';
import { loadImageFolder } from '../../src/data/image-folder.js';
import { readImageHeader } from '../../src/data/image-header.js';
import { loadRawDataset } from '../../src/data/source.js';
import { jpegBytes, pngBytes, tempDir, writeFile } from './helpers.js';

const grey = (v: number) => () => [v, v, v] as [number, number, number];

test('train/ and test/ folders give the split; classes are sorted folder names', (t) => {
  const dir = tempDir(t);
  writeFile(join(dir, 'train/cat/a.png'), pngBytes(4, 3, grey(10)));
  writeFile(join(dir, 'train/cat/b.PNG'), pngBytes(4, 3, grey(20)));
  writeFile(join(dir, 'train/ant/a.png'), pngBytes(4, 3, grey(30)));
  writeFile(join(dir, 'train/ant/notes.txt'), Buffer.from('ignored'));
  writeFile(join(dir, 'test/cat/c.png'), pngBytes(4, 3, grey(40)));
  const d = loadRawDataset(`images:${dir}`);
  assert.deepEqual(d.classNames, ['ant', 'cat']);
  assert.deepEqual(d.shape, [1, 3, 4], 'all grey -> one channel, size of the images');
  assert.deepEqual([...d.train.labels], [0, 1, 1]);
  assert.deepEqual([...d.test.labels], [1]);
  assert.deepEqual([...new Set(d.train.pixels.subarray(0, 12))], [30]);
  assert.deepEqual([...new Set(d.train.pixels.subarray(24, 36))], [20]);
  assert.deepEqual([...new Set(d.test.pixels)], [40]);
});

test('without a split, each class is split with a seed; colour PNG and JPEG decode to RGB', (t) => {
  const dir = tempDir(t);
  const red = () => [200, 10, 10] as [number, number, number];
  for (let i = 0; i < 10; i++) {
    writeFile(join(dir, `red/${i}.png`), pngBytes(8, 8, red));
    writeFile(
      join(dir, `blue/${i}.jpg`),
      jpegBytes(8, 8, () => [10, 10, 200]),
    );
  }
  const a = loadImageFolder(dir);
  const b = loadImageFolder(dir);
  assert.deepEqual(a.shape, [3, 8, 8]);
  assert.equal(a.train.count, 16);
  assert.equal(a.test.count, 4);
  assert.deepEqual([...a.test.labels].sort(), [0, 0, 1, 1]);
  assert.deepEqual(a.train.pixels, b.train.pixels, 'same seed, same split');
  // blue is class 0 (sorted); its JPEG pixels are near (10, 10, 200)
  const i0 = a.train.labels.indexOf(0) * 192;
  assert.ok(Math.abs(a.train.pixels[i0 + 2] - 200) <= 4 && a.train.pixels[i0] <= 16);
  const i1 = a.train.labels.indexOf(1) * 192;
  assert.deepEqual([...a.train.pixels.subarray(i1, i1 + 3)], [200, 10, 10]);
  const other = loadImageFolder(dir, { splitSeed: 7 });
  assert.equal(other.test.count, 4);
});

test('images of another size are resized to the common one; a target shape is honoured', (t) => {
  const dir = tempDir(t);
  writeFile(join(dir, 'a/1.png'), pngBytes(6, 6, grey(50)));
  writeFile(join(dir, 'a/2.png'), pngBytes(6, 6, grey(50)));
  writeFile(join(dir, 'b/1.png'), pngBytes(12, 9, grey(90)));
  writeFile(join(dir, 'b/2.png'), pngBytes(6, 6, grey(90)));
  const d = loadImageFolder(dir, { testFraction: 0.5 });
  assert.deepEqual(d.shape, [1, 6, 6]);
  const all = [...d.train.pixels, ...d.test.pixels];
  assert.deepEqual([...new Set(all)].sort(), [50, 90]);
  const rgb = loadImageFolder(dir, { testFraction: 0.5, target: [3, 10, 10] });
  assert.deepEqual(rgb.shape, [3, 10, 10]);
  assert.equal(rgb.train.pixels.length, rgb.train.count * 300);
});

test('bad image folders and corrupt or forged images give one-line InputFileErrors', (t) => {
  const dir = tempDir(t);
  const one = (re: RegExp, d = dir) =>
    assert.throws(
      () => loadImageFolder(d),
      (e: unknown) =>
        e instanceof InputFileError && re.test(e.message) && !e.message.includes('\n'),
    );
  one(/does not exist/, join(dir, 'missing'));
  writeFile(join(dir, 'only/1.png'), pngBytes(2, 2, grey(1)));
  one(/1 class folder\(s\); need one subfolder of images per class/);
  writeFile(join(dir, 'empty/readme.txt'), Buffer.from('x'));
  one(/empty holds no \.png\/\.jpg images/);
  writeFile(join(dir, 'empty/1.png'), Buffer.from('not an image at all'));
  writeFile(join(dir, 'empty/2.png'), Buffer.from('not an image at all'));
  one(/neither a PNG nor a JPEG/);
  const good = pngBytes(3, 3, grey(5));
  writeFile(join(dir, 'empty/1.png'), good);
  writeFile(join(dir, 'empty/2.png'), good.subarray(0, good.length - 20));
  one(/2\.png: PNG IDAT chunk at byte 33 is cut off .*; the file is truncated, replace it/);
  // forge a 100000 x 100000 IHDR: refused from the header, before decoding
  const forged = Uint8Array.from(good);
  new DataView(forged.buffer).setUint32(16, 100000, false);
  new DataView(forged.buffer).setUint32(20, 100000, false);
  writeFile(join(dir, 'empty/2.png'), forged);
  one(/100000x100000, larger than/);
});

test('JPEG and PNG headers give size and colour kind; truncated JPEG headers are refused', () => {
  const j = jpegBytes(7, 5, grey(3));
  assert.deepEqual(readImageHeader(j, 'x.jpg'), {
    format: 'jpeg',
    width: 7,
    height: 5,
    channels: 3,
  });
  assert.deepEqual(readImageHeader(pngBytes(2, 9, grey(3)), 'x.png'), {
    format: 'png',
    width: 2,
    height: 9,
    channels: 3,
  });
  assert.throws(() => readImageHeader(j.subarray(0, 30), 'x.jpg'), /no frame header/);
  assert.throws(
    () => readImageHeader(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 1, 0, 0]), 'x.jpg'),
    /segment length 1/,
  );
});
