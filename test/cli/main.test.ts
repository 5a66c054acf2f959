import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProgram } from '../../src/cli/main.js';

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
