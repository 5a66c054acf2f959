import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProgram } from '../../src/cli/main.js';

test('the cdma program has a name and help text', () => {
  const program = buildProgram();
  assert.equal(program.name(), 'cdma');
  assert.match(program.helpInformation(), /Usage: cdma/);
});
