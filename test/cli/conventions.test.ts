/**
 * One convention across the commands: what --json means, the names of the
 * policies and links, one byte-size syntax, the same defaults in train,
 * compare and study, and commander's errors in the CLI's own one-line form.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, Option } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { closest } from '../../src/cli/names.js';
import { encodeNpy } from '../../src/io/npy.js';
import { BYTE_SIZE_HELP } from '../../src/io/sizes.js';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const commands = (): readonly Command[] => buildProgram().commands;
const command = (name: string): Command => {
  const c = commands().find((x) => x.name() === name);
  assert.ok(c, name);
  return c;
};
const option = (cmd: Command, long: string): Option | undefined =>
  cmd.options.find((o) => o.long === long);

/** Asserts exit 1 and one line on stderr, starting `cdma: `, matching `re`, and no stack trace. */
async function failsWith(args: readonly string[], re: RegExp): Promise<string> {
  const r = await runCli(...args);
  const what = args.join(' ');
  assert.equal(r.code, 1, `${what}: ${r.err}`);
  assert.match(r.err, /^cdma: /, what);
  assert.match(r.err, re, what);
  assert.equal(r.err.trimEnd().split('\n').length, 1, `${what}: one line: ${r.err}`);
  assert.doesNotMatch(r.err, /^\s+at /m, `${what}: no stack`);
  return r.err;
}

/** Required arguments of each command that has some, so only the mistyped option is wrong. */
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  compress: ['in.npy', 'out.cdma'],
  decompress: ['in.cdma', 'out.npy'],
  inspect: ['in.cdma'],
  study: ['--out', 'unused'],
};

test('an unknown option is reported as unknown, on one line, with a suggestion when one is close', async () => {
  for (const c of commands()) {
    const name = c.name();
    const base = [name, ...(REQUIRED[name] ?? [])];
    await failsWith([...base, '--no-such-option'], /^cdma: unknown option '--no-such-option'/);
    if (option(c, '--batch') !== undefined) {
      const err = await failsWith(
        [...base, '--bacth', '4'],
        /^cdma: unknown option '--bacth' \(did you mean --batch\?\); see cdma \S+ --help$/m,
      );
      assert.doesNotMatch(err, /required/, name);
    }
  }
  // Commander's other errors read the same way.
  await failsWith(['no-such-command'], /^cdma: unknown command 'no-such-command'; see cdma --help/);
  await failsWith(['compress'], /^cdma: missing required argument .*; see cdma compress --help/);
  await failsWith(
    ['train', '--fit', 'zzz'],
    /^cdma: option '--fit <mode>' argument 'zzz' is invalid/,
  );
  await failsWith(['study'], /^cdma: required option '--out <dir>' not specified/);
});

/** Commands that train: slow enough for the test runner to report meanwhile. */
const TRAINING = new Set(['train', 'compare']);

test('--json means the same in every command that has it: the result as JSON on stdout', async (t) => {
  const dir = tempDir(t, 'json');
  const npy = join(dir, 'a.npy');
  const data = new Float32Array(256).map((_, i) => (i % 3 === 0 ? i : 0));
  writeFileSync(
    npy,
    encodeNpy({ dtype: 'float32', shape: [256], data: new Uint8Array(data.buffer) }),
  );
  const cdma = join(dir, 'a.cdma');
  assert.equal((await runCli('compress', npy, cdma)).code, 0);
  const tiny = ['--batch', '4', '--steps', '1', '--test-limit', '4', '--quiet'];
  const runs: Readonly<Record<string, readonly string[]>> = {
    demo: ['demo', '--batch', '1', '--runs', '1', '--json'],
    models: ['models', 'nin-small', '--json'],
    inspect: ['inspect', '--json', cdma],
    compress: ['compress', '--json', npy, join(dir, 'b.cdma')],
    decompress: ['decompress', '--json', cdma, join(dir, 'b.npy')],
    simulate: ['simulate', '--model', 'alexnet', '--json'],
    train: ['train', '--model', 'nin-small', ...tiny, '--limit', '4', '--json'],
    compare: ['compare', '--model', 'nin-small', ...tiny, '--link', 'unlimited', '--json'],
  };
  const withJson = commands()
    .filter((c) => option(c, '--json') !== undefined)
    .map((c) => c.name());
  assert.deepEqual(withJson.sort(), Object.keys(runs).sort(), 'every command with --json is run');
  for (const name of withJson) {
    const o = option(command(name), '--json');
    assert.ok(o !== undefined && !o.required && !o.optional, `${name}: --json takes no value`);
    assert.match(o.description, /as JSON on stdout instead of the text/, `${name} --json help`);
    // Training runs in a child process: the test runner's own reports share this one's stdout.
    const r = TRAINING.has(name) ? await runCliProcess(runs[name]) : await runCli(...runs[name]);
    assert.equal(r.code, 0, `${name}: ${r.err}`);
    assert.doesNotThrow(() => JSON.parse(r.out), `${name}: stdout is one JSON document`);
  }
  const written = JSON.parse((await runCli(...runs.compress)).out);
  assert.equal(written.rawBytes, 1024);
  assert.equal(written.codec, 'zvc');
  assert.ok(written.ratio > 1, `ratio ${written.ratio}`);
  const back = JSON.parse((await runCli(...runs.decompress)).out);
  assert.deepEqual([back.dtype, back.shape, back.rawBytes], ['float32', [256], 1024]);
  const train = JSON.parse((await runCliProcess(runs.train)).out);
  assert.equal(train.status, 'ok');
  assert.equal(train.memory.policy, 'none', 'the memory summary is there without a manager too');
  assert.equal(train.memory.offloadedBytes, 0);
  assert.equal(train.memory.stallMs, 0);
});

test('writing the JSON to a file is --json-out FILE wherever it exists; --json FILE says so', async () => {
  for (const c of commands()) {
    const out = option(c, '--json-out');
    if (out === undefined) continue;
    assert.equal(out.flags, '--json-out <file>', c.name());
    assert.ok(option(c, '--json') !== undefined, `${c.name()}: --json-out comes with --json`);
  }
  assert.ok(option(command('train'), '--json-out'));
  assert.ok(option(command('compare'), '--json-out'));
  for (const args of [
    ['train', '--model', 'nin-small', '--json', 'run.json'],
    ['compare', '--model', 'nin-small', '--json', 'run.json'],
  ]) {
    await failsWith(
      args,
      /^cdma: --json takes no file: it prints the JSON on stdout; to write it to run\.json, use --json-out run\.json$/m,
    );
  }
  await failsWith(
    ['train', '--model', 'nin-small', 'stray'],
    /^cdma: too many arguments for 'train': 'stray'/,
  );
});

test('the no-offload policy is none in every command; old names and near misses are refused with the name to use', async () => {
  const T = ['train', '--model', 'nin-small'];
  const C = ['compare', '--model', 'nin-small'];
  const S = ['simulate', '--model', 'alexnet'];
  for (const base of [T, S]) {
    await failsWith(
      [...base, '--policy', 'oracle'],
      /^cdma: --policy oracle is called none in every cdma command; did you mean --policy none\?$/m,
    );
    await failsWith(
      [...base, '--policy', 'base'],
      /^cdma: --policy base is called none .*did you mean --policy none\?/,
    );
    await failsWith(
      [...base, '--policy', 'conf'],
      /^cdma: unknown policy 'conf': use one of none, all, conv, dyn \(did you mean conv\?\)$/m,
    );
  }
  for (const p of ['none', 'oracle']) {
    await failsWith(
      [...C, '--policy', p],
      /^cdma: --policy \w+: compare always runs the oracle \(policy none\) as its reference/,
    );
  }
  // The help of each names the same policies.
  for (const name of ['train', 'simulate']) {
    const help = option(command(name), '--policy')?.description ?? '';
    for (const p of ['none', 'all', 'conv', 'dyn']) assert.match(help, new RegExp(`\\b${p}\\b`));
    assert.doesNotMatch(help, /oracle' is an alias/, name);
  }
});

test('the links have the same names in train, compare and simulate; a near miss gets the name', async () => {
  for (const base of [
    ['train', '--model', 'nin-small', '--policy', 'all'],
    ['compare', '--model', 'nin-small'],
    ['simulate', '--model', 'alexnet'],
  ]) {
    await failsWith(
      [...base, '--link', 'pcie-3'],
      /^cdma: unknown link 'pcie-3': .*\(did you mean pcie3\?\)$/m,
    );
    await failsWith([...base, '--link', 'nvlnk2'], /\(did you mean nvlink2\?\)$/m);
    const o = option(command(base[0]), '--link');
    assert.equal(o?.flags, '--link <name>', base[0]);
  }
  await failsWith(
    ['simulate', '--model', 'alexnet', '--link', 'unlimited'],
    /^cdma: --link unlimited is a link of cdma train and compare \(this machine\); the simulator models the preset links: pcie3/,
  );
  await failsWith(
    ['simulate', '--model', 'alexnet', '--sweep', '--links', 'pcie3,2GBps'],
    /^cdma: --links 2GBps is a link of cdma train and compare/,
  );
  assert.equal(closest('PCIE-4', ['pcie3', 'pcie4']), 'pcie4');
  assert.equal(closest('ethernet', ['pcie3', 'pcie4']), undefined);
});

/** Every option that takes a number of bytes, by command. */
const BYTE_OPTIONS: readonly (readonly [string, string, readonly string[]])[] = [
  ['train', '--budget', ['--model', 'nin-small']],
  ['compare', '--budget', ['--model', 'nin-small']],
  ['compress', '--chunk-size', ['in.npy', 'out.cdma']],
  ['simulate', '--workspace', ['--model', 'alexnet']],
];

test('every option that takes bytes takes one syntax, says so in its help, and refuses the same way', async () => {
  const found: string[] = [];
  for (const c of commands()) {
    for (const o of c.options) {
      if (o.hidden) continue;
      const text = `${o.flags} ${o.description}`;
      if (/<size>|<bytes>|-mb\b|-bytes\b|\bMiB\b/.test(text) && o.long !== '--element-bytes') {
        found.push(`${c.name()} ${o.long}`);
      }
    }
  }
  assert.deepEqual(
    found.sort(),
    BYTE_OPTIONS.map(([c, o]) => `${c} ${o}`).sort(),
    'the byte options are these',
  );
  for (const [name, flag, rest] of BYTE_OPTIONS) {
    const o = option(command(name), flag);
    assert.ok(o, `${name} ${flag}`);
    assert.equal(o.flags, `${flag} <size>`);
    assert.ok(o.description.includes(BYTE_SIZE_HELP), `${name} ${flag} help: ${o.description}`);
    await failsWith(
      [name, ...rest, flag, '12 parsecs'],
      new RegExp(
        `^cdma: ${flag} '12 parsecs' is not a byte size; write e.g. 1\\.5MiB, 256KiB, 2GB or 65536$`,
        'm',
      ),
    );
  }
  // The same text is accepted: 1.5MiB of workspace is 1.5 x 2^20 bytes.
  const ws = await runCli('simulate', '--model', 'alexnet', '--workspace', '1.5MiB', '--json');
  const plain = await runCli('simulate', '--model', 'alexnet', '--workspace', '1572864', '--json');
  assert.equal(ws.code, 0, ws.err);
  assert.equal(ws.out, plain.out);
});

test('train, compare and study share their options: the same names, placeholders and defaults', () => {
  const shared = new Map<string, Map<string, Option>>();
  for (const name of ['train', 'compare', 'study']) {
    for (const o of command(name).options) {
      if (o.long === undefined) continue;
      const m = shared.get(o.long) ?? new Map<string, Option>();
      m.set(name, o);
      shared.set(o.long, m);
    }
  }
  // Study's own defaults for its experiment (docs/STUDY.md): batch 64 (16 at inference), a 50-step warm-up.
  const studyOwn = new Set(['--batch', '--warmup', '--steps', '--out']);
  // Compare's run length and evaluation are its own (5 steps, 100 test images).
  // Its link is paper-scaled: on an unlimited link offloading costs nothing and the comparison shows nothing.
  const compareOwn = new Set(['--steps', '--test-limit', '--limit', '--policy', '--link']);
  for (const [flag, byCommand] of shared) {
    if (byCommand.size < 2) continue;
    const entries = [...byCommand].filter(
      ([c]) => !(c === 'study' && studyOwn.has(flag)) && !(c === 'compare' && compareOwn.has(flag)),
    );
    const flags = new Set(entries.map(([, o]) => o.flags));
    assert.equal(flags.size <= 1, true, `${flag}: ${[...flags].join(' vs ')}`);
    const defaults = new Set(entries.map(([, o]) => JSON.stringify(o.defaultValue)));
    assert.equal(defaults.size <= 1, true, `${flag} defaults: ${[...defaults].join(' vs ')}`);
  }
  for (const flag of [
    '--lr',
    '--momentum',
    '--weight-decay',
    '--lr-schedule',
    '--seed',
    '--backend',
    '--dataset',
  ]) {
    assert.ok(shared.get(flag)?.size === 3, `${flag} in all three`);
  }
  for (const flag of ['--optimizer', '--warmup', '--batch', '--budget', '--link', '--policy']) {
    assert.ok(shared.get(flag)?.has('train') && shared.get(flag)?.has('compare'), flag);
  }
  assert.equal(option(command('train'), '--lr')?.defaultValue, '0.02');
});
