import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanUp } from '../../src/train/clean-up.js';

test('cleanUp runs every cleanup; throws the first error only when nothing failed before', () => {
  const ran: number[] = [];
  const cleanups = [
    () => void ran.push(1),
    () => {
      ran.push(2);
      throw new Error('first');
    },
    () => {
      ran.push(3);
      throw new Error('second');
    },
  ];
  assert.throws(() => cleanUp(false, ...cleanups), { message: 'first' });
  assert.deepEqual(ran, [1, 2, 3]);
  ran.length = 0;
  assert.doesNotThrow(() => cleanUp(true, ...cleanups));
  assert.deepEqual(ran, [1, 2, 3]);
  assert.doesNotThrow(() => cleanUp(false, () => undefined));
});
