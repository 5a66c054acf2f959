import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { OutputFileError } from '../../src/errors.js';
import { checkOutput, prepareOutputDir, writeOutput } from '../../src/io/write.js';
import { tempDir } from '../helpers/tmp.js';

test('writes whole files from strings and byte parts, leaving no temporary file', (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'out.bin');
  writeOutput(f, [Buffer.from('ab'), 'cd']);
  assert.equal(readFileSync(f, 'utf8'), 'abcd');
  writeOutput(f, 'replaced');
  assert.equal(readFileSync(f, 'utf8'), 'replaced');
  assert.deepEqual(readdirSync(dir), ['out.bin']);
});

test('never replaces a device, a FIFO or a directory', (t) => {
  const dir = tempDir(t);
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  assert.throws(
    () => writeOutput(fifo, 'x'),
    /exists and is a pipe \(FIFO\); cdma writes only regular files/,
  );
  assert.ok(statSync(fifo).isFIFO());
  const before = statSync('/dev/null');
  assert.throws(() => writeOutput('/dev/null', 'x'), /\/dev\/null exists and is a device/);
  assert.equal(statSync('/dev/null').ino, before.ino);
  assert.throws(() => checkOutput(dir), /exists and is a directory/);
  assert.deepEqual(readdirSync(dir), ['fifo']);
});

test('refuses an output that is one of the inputs: same path, ./ spelling, hard and symbolic links', (t) => {
  const dir = tempDir(t);
  const input = join(dir, 'a.npy');
  writeFileSync(input, 'precious');
  linkSync(input, join(dir, 'hard.npy'));
  symlinkSync(input, join(dir, 'soft.npy'));
  const dotted = `./${relative(process.cwd(), input)}`;
  for (const out of [input, dotted, join(dir, 'hard.npy'), join(dir, 'soft.npy')]) {
    assert.throws(
      () => writeOutput(out, 'clobber', { inputs: [input] }),
      (e: unknown) =>
        e instanceof OutputFileError && /is the same file as the input/.test(e.message),
      out,
    );
  }
  assert.equal(readFileSync(input, 'utf8'), 'precious');
  // A new output next to the input is fine.
  writeOutput(join(dir, 'b.cdma'), 'ok', { inputs: [input] });
});

test('writing through a symbolic link keeps the link and replaces its target', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'target'), 'old');
  symlinkSync(join(dir, 'target'), join(dir, 'link'));
  writeOutput(join(dir, 'link'), 'new');
  assert.equal(readFileSync(join(dir, 'target'), 'utf8'), 'new');
  assert.ok(readdirSync(dir).includes('link'));
});

test('a missing folder or a loop of links is a one-line error, and nothing is created', (t) => {
  const dir = tempDir(t);
  assert.throws(() => writeOutput(join(dir, 'no', 'x.json'), '{}'), /folder .*no does not exist/);
  symlinkSync(join(dir, 'loop'), join(dir, 'loop'));
  assert.throws(() => writeOutput(join(dir, 'loop'), 'x'), /loop of symbolic links/);
  assert.throws(() => writeOutput('', 'x'), /file name is empty/);
  assert.deepEqual(readdirSync(dir), ['loop']);
});

test('prepareOutputDir creates folders and refuses files and loops', (t) => {
  const dir = tempDir(t);
  prepareOutputDir(join(dir, 'a', 'b'));
  assert.ok(statSync(join(dir, 'a', 'b')).isDirectory());
  writeFileSync(join(dir, 'f'), '');
  assert.throws(
    () => prepareOutputDir(join(dir, 'f'), '--out'),
    /--out .*f exists and is a file, not a folder/,
  );
  symlinkSync(join(dir, 'l'), join(dir, 'l'));
  assert.throws(() => prepareOutputDir(join(dir, 'l'), '--out'), /loop of symbolic links/);
});
