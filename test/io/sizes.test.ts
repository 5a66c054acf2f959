import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, parseByteSize } from '../../src/io/sizes.js';
import { InvalidArgumentError } from '../../src/errors.js';

test('byte sizes: whole and decimal numbers with binary and decimal units', () => {
  assert.equal(parseByteSize('65536'), 65536);
  assert.equal(parseByteSize('512B'), 512);
  assert.equal(parseByteSize('256KiB'), 256 * 1024);
  assert.equal(parseByteSize('64k'), 65536);
  assert.equal(parseByteSize('1.5MiB'), 1.5 * 2 ** 20);
  assert.equal(parseByteSize('1.5 MiB'), 1.5 * 2 ** 20);
  assert.equal(parseByteSize(' 1.5gib '), 1.5 * 2 ** 30);
  assert.equal(parseByteSize('.5M'), 2 ** 19);
  assert.equal(parseByteSize('2GB'), 2e9);
  assert.equal(parseByteSize('3kB'), 3000);
  assert.equal(parseByteSize('1TiB'), 2 ** 40);
  assert.equal(parseByteSize('1.5TB'), 1.5e12);
  // Fractions of a byte are rounded down.
  assert.equal(parseByteSize('0.3KiB'), 307);
  assert.equal(parseByteSize('0'), 0);
});

test('byte sizes: a leading sign, exponents, unknown units and huge values are refused', () => {
  for (const bad of [
    '',
    'MiB',
    '-5MiB',
    '+5MiB',
    '1e9',
    '12XB',
    '1.5.5MiB',
    '1,5MiB',
    '0x10',
    'lots',
  ]) {
    assert.throws(() => parseByteSize(bad, '--budget'), /--budget '.*' is not a byte size/, bad);
  }
  assert.throws(() => parseByteSize('9999999999TiB'), /too large/);
  assert.throws(() => parseByteSize('99999999999999999999'), /too large/);
  assert.equal(parseByteSize('8191TiB'), 8191 * 2 ** 40);
});

test('byte sizes: a minimum is named in the error', () => {
  assert.equal(parseByteSize('1', '--budget', 1), 1);
  assert.throws(
    () => parseByteSize('0', '--budget', 1),
    /^InvalidArgumentError: --budget must be at least 1 B, got '0'$/,
  );
  assert.throws(() => parseByteSize('0.5', '--budget', 1), InvalidArgumentError);
});

test('formatBytes: binary units with two decimals', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1024), '1.00 KiB');
  assert.equal(formatBytes(1536), '1.50 KiB');
  assert.equal(formatBytes(5 * 2 ** 20), '5.00 MiB');
  assert.equal(formatBytes(1.25 * 2 ** 30), '1.25 GiB');
  assert.equal(formatBytes(3 * 2 ** 40), '3.00 TiB');
  assert.equal(formatBytes(-2048), '-2.00 KiB');
  assert.equal(formatBytes(Infinity), 'Infinity');
  assert.equal(formatBytes(NaN), 'NaN');
});

test('parse and format agree', () => {
  for (const n of [0, 1, 1023, 1536, 9.64 * 2 ** 20, 2 ** 30, 7 * 2 ** 40]) {
    const back = parseByteSize(formatBytes(Math.floor(n)).replace(' ', ''));
    assert.ok(Math.abs(back - Math.floor(n)) <= Math.floor(n) * 0.005 + 1, `${n}`);
  }
});
