import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { InputFileError } from '../../src/errors.js';
import {
  gunzipBounded,
  gunzipPrefix,
  gunzipStream,
  jsonDepth,
  readBounded,
  readJsonBounded,
  readTextBounded,
} from '../../src/io/read.js';
import { tempDir } from '../helpers/tmp.js';

const opts = { what: 'input', maxBytes: 1000 };

test('reads a regular file whole, through symbolic links', (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'a.bin');
  writeFileSync(f, Buffer.from([1, 2, 3]));
  symlinkSync(f, join(dir, 'link'));
  assert.deepEqual([...readBounded(f, opts)], [1, 2, 3]);
  assert.deepEqual([...readBounded(join(dir, 'link'), opts)], [1, 2, 3]);
});

test('refuses directories, devices and FIFOs before reading a byte', (t) => {
  const dir = tempDir(t);
  assert.throws(() => readBounded(dir, opts), /is a directory, not a file/);
  assert.throws(
    () => readBounded('/dev/zero', opts),
    /input \/dev\/zero is a device; give a regular file/,
  );
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  // Opening a FIFO for reading with no writer would block: the reader opens it non-blocking.
  assert.throws(() => readBounded(fifo, opts), /is a pipe; give a regular file/);
});

test('refuses a file over the limit from its size, and names missing files', (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'big');
  writeFileSync(f, Buffer.alloc(1001));
  assert.throws(
    () => readBounded(f, opts),
    (e: unknown) =>
      e instanceof InputFileError && /over the 1000 B \(1000 bytes\) limit/.test(e.message),
  );
  assert.throws(() => readBounded(join(dir, 'nope'), opts), /input .*nope does not exist/);
  assert.throws(() => readBounded('', opts), /file name is empty/);
});

test('text and JSON readers refuse invalid UTF-8 and invalid JSON with the file named', (t) => {
  const dir = tempDir(t);
  const bad = join(dir, 'bad.txt');
  writeFileSync(bad, Buffer.from([0x7b, 0xff, 0x7d]));
  assert.throws(() => readTextBounded(bad, opts), /bad\.txt is not UTF-8 text/);
  const j = join(dir, 'x.json');
  writeFileSync(j, '{"a": ');
  assert.throws(
    () => readJsonBounded(j, { ...opts, what: 'ratio table' }),
    /ratio table .*x\.json is not valid JSON/,
  );
  writeFileSync(j, '{"a": 1}');
  assert.deepEqual(readJsonBounded(j, opts), { a: 1 });
});

test('gunzip is bounded: a bomb is refused, a prefix inflates only what is asked', () => {
  const zeros = gzipSync(Buffer.alloc(32 << 20));
  assert.throws(
    () => gunzipBounded(zeros, 'z.gz', 'data', 1 << 20),
    /decompresses to more than the 1048576 bytes expected/,
  );
  const head = gunzipPrefix(zeros, 'z.gz', 'data', 100_000);
  assert.equal(head.length, 100_000);
  const data = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) & 0xff));
  const p = gunzipPrefix(gzipSync(data), 'd.gz', 'data', 123_457);
  assert.ok(p.equals(data.subarray(0, 123_457)));
  assert.throws(
    () => gunzipPrefix(Buffer.from('not gzip at all'), 'n.gz', 'data', 10),
    /is not valid gzip/,
  );
});

test('gunzipStream hands out chunks, stops early, and checks the trailer of a whole stream', () => {
  const data = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31) & 0xff));
  const gz = gzipSync(data);
  const got: Buffer[] = [];
  assert.equal(
    gunzipStream(gz, 'd.gz', 'data', (c) => (got.push(Buffer.from(c)), true)),
    true,
  );
  assert.ok(Buffer.concat(got).equals(data));
  let seen = 0;
  assert.equal(
    gunzipStream(gz, 'd.gz', 'data', (c) => ((seen += c.length), false)),
    false,
  );
  assert.ok(seen > 0 && seen <= data.length);
  const damaged = Buffer.from(gz);
  damaged[damaged.length - 6] ^= 0xff; // the CRC-32 trailer
  assert.throws(() => gunzipStream(damaged, 'd.gz', 'data', () => true), /CRC-32 or length check/);
  assert.throws(
    () => gunzipStream(gz.subarray(0, gz.length - 20), 'd.gz', 'data', () => true),
    InputFileError,
  );
});

test('JSON nested deeper than the limit is refused before it is walked', (t) => {
  const dir = tempDir(t);
  const deep = join(dir, 'deep.json');
  writeFileSync(deep, '['.repeat(5000) + ']'.repeat(5000));
  assert.throws(
    () => readJsonBounded(deep, { what: 'model', maxBytes: 1e6 }),
    /nests arrays and objects more than 100 deep/,
  );
  const ok = join(dir, 'ok.json');
  writeFileSync(ok, JSON.stringify({ a: '[[[[[[', b: [[[1]]], c: '\\"{' }));
  assert.equal(jsonDepth(readFileSync(ok, 'utf8')), 4);
  assert.deepEqual((readJsonBounded(ok, opts) as { b: unknown }).b, [[[1]]]);
});

test('a JSON syntax error is one printable line, whatever bytes the file holds', (t) => {
  const f = join(tempDir(t), 'x.json');
  writeFileSync(f, Buffer.from('{"a":\n\x00\x7f 1}'));
  assert.throws(
    () => readJsonBounded(f, opts),
    (e: unknown) =>
      e instanceof InputFileError &&
      /is not valid JSON/.test(e.message) &&
      [...e.message].every((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f),
  );
});
