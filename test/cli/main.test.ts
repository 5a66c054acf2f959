import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/main.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

test('the cdma program has a name and help text', () => {
  const program = buildProgram();
  assert.equal(program.name(), 'cdma');
  assert.match(program.helpInformation(), /Usage: cdma/);
});

test('every command lists on one short line in the top-level help', () => {
  const program = buildProgram();
  const names = program.commands.map((c) => c.name());
  for (const expected of [
    'compress',
    'decompress',
    'inspect',
    'demo',
    'models',
    'train',
    'compare',
    'simulate',
    'study',
  ]) {
    assert.ok(names.includes(expected), `missing command ${expected}`);
  }
  for (const c of program.commands) {
    const line = c.summary() || c.description();
    assert.ok(
      line.length > 0 && line.length <= 100 && !line.includes('\n'),
      `${c.name()}: ${line}`,
    );
  }
});

/** A failure the CLI reports itself (a CdmaError), one per command; none reads data or trains. */
function cdmaFailures(dir: string): string[][] {
  const missing = join(dir, 'missing');
  return [
    ['compress', `${missing}.npy`, `${missing}.cdma`],
    ['decompress', `${missing}.cdma`, `${missing}.npy`],
    ['inspect', `${missing}.cdma`],
    ['demo', '--density', '2'],
    ['models', 'no-such-net'],
    ['train', '--model', 'alexnet-small', '--batch', '0'],
    ['compare', '--model', 'nin-small', '--steps', '0'],
    ['simulate', '--model', 'vgg16', '--batch', '0'],
    ['study', '--out', join(dir, 'study'), '--zlib-level', '10', '--quiet'],
  ];
}

/** Each command with `--modle x` mistyped for its required `--model`, or beside its required arguments. */
const MISTYPED: Readonly<Record<string, readonly string[]>> = {
  compress: ['in.npy', 'out.cdma'],
  decompress: ['in.cdma', 'out.npy'],
  inspect: ['in.cdma'],
  study: ['--out', 'unused'],
};

test('every error starts with cdma:, commander errors and the commands own alike', async (t) => {
  const dir = tempDir(t, 'cli-main');
  const failures = cdmaFailures(dir);
  assert.deepEqual(
    failures.map((f) => f[0]).sort(),
    buildProgram()
      .commands.map((c) => c.name())
      .sort(),
    'one failure per command',
  );
  for (const args of failures) {
    const r = await runCli(...args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, /^cdma: /, args.join(' '));
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  }
  for (const args of [
    ['no-such-command'],
    ['compress'], // missing argument
    ['train', '--model', 'alexnet-small', '--fit', 'zzz'], // invalid choice
    ['simulate', '--model', 'vgg16', '--codec', 'zzz'],
    ['train'], // missing required option
    ['study'],
  ]) {
    const r = await runCli(...args);
    assert.ok(r.code !== 0, `${args.join(' ')} exits non-zero`);
    assert.match(r.err, /^cdma: /, `${args.join(' ')}: ${r.err}`);
    assert.doesNotMatch(r.err, /^error:/m, args.join(' '));
  }
  const missing = await runCli('train');
  assert.match(missing.err, /^cdma: give --model NAME \(a zoo network\) or --tfjs-model PATH/);
});

test('a mistyped option is reported as unknown, naming it, in every command', async () => {
  for (const c of buildProgram().commands) {
    const name = c.name();
    const args = [name, ...(MISTYPED[name] ?? []), '--modle', 'x'];
    const r = await runCli(...args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, /^cdma: unknown option '--modle'/, `${args.join(' ')}: ${r.err}`);
    assert.doesNotMatch(r.err, /required option/, args.join(' '));
  }
});

test('train, compare and study share one learning-rate default', () => {
  const program = buildProgram();
  const lr = (name: string) => {
    const cmd = program.commands.find((c) => c.name() === name);
    assert.ok(cmd, name);
    const option = cmd.options.find((o) => o.long === '--lr');
    assert.ok(option, `${name} --lr`);
    assert.match(cmd.helpInformation(), /--lr <x>[^\n]*\(default: "0\.02"\)/, name);
    return option.defaultValue as unknown;
  };
  assert.equal(lr('train'), '0.02');
  assert.equal(lr('compare'), '0.02');
  assert.equal(lr('study'), '0.02');
});
