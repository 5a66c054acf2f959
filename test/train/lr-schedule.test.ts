import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learningRate, parseLrSchedule } from '../../src/train/lr-schedule.js';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

test('constant, linear and cosine schedules over a run of 10 steps', () => {
  for (let s = 0; s < 10; s++) assert.equal(learningRate('constant', 0.1, s, 10), 0.1);
  const linear = Array.from({ length: 10 }, (_, s) => learningRate('linear', 0.1, s, 10));
  linear.forEach((v, s) => close(v, 0.1 * (1 - s / 10)));
  close(linear[9], 0.01);
  close(learningRate('cosine', 0.1, 0, 10), 0.1);
  close(learningRate('cosine', 0.1, 5, 10), 0.05);
  const last = learningRate('cosine', 0.1, 9, 10);
  assert.ok(last > 0 && last < 0.003);
});

test('warm-up ramps up linearly, then the schedule spans the remaining steps', () => {
  close(learningRate('linear', 0.1, 0, 12, 3), 0.025);
  close(learningRate('linear', 0.1, 2, 12, 3), 0.075);
  close(learningRate('linear', 0.1, 3, 12, 3), 0.1);
  close(learningRate('linear', 0.1, 11, 12, 3), 0.1 / 9);
  close(learningRate('constant', 0.1, 1, 12, 3), 0.05);
});

test('unknown schedules are refused with the valid names', () => {
  assert.equal(parseLrSchedule('cosine'), 'cosine');
  assert.throws(
    () => parseLrSchedule('step'),
    /unknown learning-rate schedule 'step'; use constant, linear, cosine/,
  );
});
