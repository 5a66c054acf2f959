import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInteger, parseNumber } from '../../src/io/numbers.js';
import { InvalidArgumentError } from '../../src/errors.js';

test('integers: digits with an optional sign, the range decides', () => {
  assert.equal(parseInteger('--n', '42'), 42);
  assert.equal(parseInteger('--n', ' 7 '), 7);
  assert.equal(parseInteger('--n', '+3'), 3);
  assert.equal(parseInteger('--n', '-3'), -3);
  assert.ok(Object.is(parseInteger('--n', '-0'), 0));
  assert.equal(parseInteger('--n', '007'), 7);
  assert.equal(parseInteger('--seed', '4294967295', { min: 0, max: 2 ** 32 - 1 }), 2 ** 32 - 1);
  assert.equal(parseInteger('--n', String(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
});

test('integers: a leading - is read as a sign everywhere, so it fails on the range', () => {
  assert.throws(
    () => parseInteger('--batch', '-1', { min: 1, max: 65536 }),
    /^InvalidArgumentError: --batch must be an integer from 1 to 65536, got '-1'$/,
  );
  assert.throws(
    () => parseInteger('--steps', '-5', { min: 1 }),
    /--steps must be an integer >= 1, got '-5'/,
  );
  assert.throws(() => parseInteger('--n', '0', { min: 1 }), InvalidArgumentError);
  assert.throws(() => parseInteger('--n', '11', { max: 10 }), /--n must be an integer <= 10/);
});

test('integers: decimals, exponents, hex, words, empty text and huge values are refused', () => {
  for (const bad of [
    '1.5',
    '1.0',
    '1e3',
    '0x10',
    '1_000',
    '',
    ' ',
    'ten',
    '--1',
    '+-1',
    'Infinity',
  ]) {
    assert.throws(() => parseInteger('--n', bad), /--n must be an integer/, bad);
  }
  for (const huge of ['9007199254740992', '99999999999999999999', '-9007199254740992']) {
    assert.throws(() => parseInteger('--n', huge), InvalidArgumentError, huge);
  }
});

test('numbers: decimals and exponents, with the same sign rule', () => {
  assert.equal(parseNumber('--lr', '0.01'), 0.01);
  assert.equal(parseNumber('--lr', '.5'), 0.5);
  assert.equal(parseNumber('--lr', '5.'), 5);
  assert.equal(parseNumber('--lr', '1e-3'), 1e-3);
  assert.equal(parseNumber('--lr', '2.5E+2'), 250);
  assert.equal(parseNumber('--x', '-1.5'), -1.5);
  assert.equal(parseNumber('--density', '1', { min: 0, max: 1 }), 1);
  assert.equal(parseNumber('--density', '0', { min: 0, max: 1 }), 0);
});

test('numbers: ranges, exclusive minimums and what is refused', () => {
  assert.throws(
    () => parseNumber('--density', '2', { min: 0, max: 1 }),
    /^InvalidArgumentError: --density must be a number from 0 to 1, got '2'$/,
  );
  assert.throws(
    () => parseNumber('--density', '-0.1', { min: 0, max: 1 }),
    /--density must be a number from 0 to 1, got '-0.1'/,
  );
  assert.throws(
    () => parseNumber('--lr', '0', { min: 0, aboveMin: true }),
    /--lr must be a number > 0/,
  );
  assert.equal(parseNumber('--lr', '1e-300', { min: 0, aboveMin: true }), 1e-300);
  assert.throws(() => parseNumber('--m', '-1', { min: 0 }), /--m must be a number >= 0, got '-1'/);
  for (const bad of [
    '',
    'x',
    '0x10',
    '1,5',
    '1e',
    'e3',
    '.',
    'NaN',
    'Infinity',
    '-Infinity',
    '1e999',
  ]) {
    assert.throws(() => parseNumber('--x', bad), /--x must be a number/, bad);
  }
});

test('numbers: an exclusive maximum, alone or with a minimum, is named in the message', () => {
  assert.equal(parseNumber('--momentum', '0.99', { min: 0, max: 1, belowMax: true }), 0.99);
  assert.equal(parseNumber('--momentum', '0', { min: 0, max: 1, belowMax: true }), 0);
  assert.throws(
    () => parseNumber('--momentum', '1', { min: 0, max: 1, belowMax: true }),
    /^InvalidArgumentError: --momentum must be a number >= 0 and < 1, got '1'$/,
  );
  assert.throws(
    () => parseNumber('--x', '2', { max: 2, belowMax: true }),
    /^InvalidArgumentError: --x must be a number < 2, got '2'$/,
  );
  assert.throws(
    () => parseInteger('--n', '0', { min: 0, aboveMin: true, max: 10 }),
    /^InvalidArgumentError: --n must be an integer > 0 and <= 10, got '0'$/,
  );
});

test('numbers: a cap catches values that are finite but absurd, naming the range', () => {
  const lr = { min: 0, aboveMin: true, max: 10 };
  assert.equal(parseNumber('--lr', '10', lr), 10);
  for (const bad of ['1e308', '10.5', '1e999']) {
    assert.throws(
      () => parseNumber('--lr', bad, lr),
      new RegExp(`^InvalidArgumentError: --lr must be a number > 0 and <= 10, got '${bad}'$`),
      bad,
    );
  }
});
