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
  // After a failure the cleanups' own errors are dropped: it returns normally, having run all.
  assert.equal(cleanUp(true, ...cleanups), undefined);
  assert.deepEqual(ran, [1, 2, 3]);
  ran.length = 0;
  assert.equal(
    cleanUp(false, () => void ran.push(4)),
    undefined,
  );
  assert.deepEqual(ran, [4], 'a cleanup that succeeds runs and nothing is thrown');
});
