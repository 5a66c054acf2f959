import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { addMemoryOptions } from '../../src/cli/memory-options.js';
import { checkPolicyName } from '../../src/cli/names.js';
import { POLICY_NAMES } from '../../src/plan/index.js';
import {
  parseBudget,
  parseCodecOption,
  parseMemoryOptions,
  parsePrefetchAhead,
  type MemoryCliOptions,
} from '../../src/memory/options.js';
import { InvalidArgumentError } from '../../src/errors.js';

test('byte sizes for --budget', () => {
  assert.equal(parseBudget('512MiB'), 512 * 2 ** 20);
  assert.equal(parseBudget('1.5GiB'), 1.5 * 2 ** 30);
  assert.equal(parseBudget('2GB'), 2e9);
  assert.equal(parseBudget('4096'), 4096);
  assert.equal(parseBudget('64k'), 65536);
  for (const bad of ['', '0', '-5MiB', '12XB', 'MiB', '1e9', '9999999999TiB']) {
    assert.throws(() => parseBudget(bad), InvalidArgumentError, bad);
  }
});

test('codec options with parameters', () => {
  assert.deepEqual(parseCodecOption('zvc'), { id: 'zvc' });
  assert.deepEqual(parseCodecOption('zlib:level=1'), { id: 'zlib', params: { level: 1 } });
  assert.deepEqual(parseCodecOption('rle:runBits=8,litBits=8'), {
    id: 'rle',
    params: { runBits: 8, litBits: 8 },
  });
  assert.throws(() => parseCodecOption('lz4'), /zvc/);
  assert.throws(() => parseCodecOption('zlib:level'), InvalidArgumentError);
  assert.throws(() => parseCodecOption('zlib:level=12'), /0 to 9/);
  assert.throws(() => parseCodecOption('zvc:x=1'), InvalidArgumentError);
});

test('--prefetch-ahead takes whole numbers', () => {
  assert.equal(parsePrefetchAhead('0'), 0);
  assert.equal(parsePrefetchAhead('3'), 3);
  for (const bad of ['-1', '1.5', 'x', '', '100000'])
    assert.throws(() => parsePrefetchAhead(bad), InvalidArgumentError);
});

test('the options parse into a config; defaults are the oracle on an unlimited link', () => {
  const cmd = addMemoryOptions(new Command('t').exitOverride());
  cmd.parse(
    [
      '--policy',
      'conv',
      '--codec',
      'rle',
      '--budget',
      '64MiB',
      '--link',
      'pcie4',
      '--host-store',
      '/tmp',
      '--prefetch-ahead',
      '2',
      '--trace',
      't.json',
    ],
    { from: 'user' },
  );
  const c = parseMemoryOptions(cmd.opts<MemoryCliOptions>());
  assert.equal(c.policy, 'conv');
  assert.deepEqual(c.codec, { id: 'rle' });
  assert.equal(c.budgetBytes, 64 * 2 ** 20);
  assert.equal(c.link.name, 'pcie4');
  assert.deepEqual(c.hostStore, { kind: 'spill', dir: '/tmp' });
  assert.equal(c.prefetchAhead, 2);
  assert.equal(c.tracePath, 't.json');
  const d = addMemoryOptions(new Command('t').exitOverride());
  d.parse([], { from: 'user' });
  const dc = parseMemoryOptions(d.opts<MemoryCliOptions>());
  assert.equal(dc.policy, 'none');
  assert.equal(dc.link.bytesPerSecond, Infinity);
  assert.deepEqual(dc.hostStore, { kind: 'ram' });
  assert.equal(dc.prefetchAhead, 1);
  assert.equal(dc.budgetBytes, undefined);
  // paper-scaled uses the given (or measured) compute rate.
  const p = parseMemoryOptions({ link: 'paper-scaled' }, 12e9);
  assert.equal(p.link.bytesPerSecond, 12.8e6);
});

test('every memory option explains itself in --help', () => {
  const help = addMemoryOptions(new Command('t')).helpInformation();
  for (const flag of [
    '--policy',
    '--codec',
    '--budget',
    '--link',
    '--host-store',
    '--prefetch-ahead',
    '--trace',
  ]) {
    assert.match(help, new RegExp(flag));
  }
  assert.match(help, /paper-scaled/);
  // The command checks --policy (one check for train, compare and simulate: src/cli/names.ts).
  assert.throws(() => checkPolicyName('most', POLICY_NAMES), /unknown policy 'most'/);
});
