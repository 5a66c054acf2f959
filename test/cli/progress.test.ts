import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createProgress, isCi } from '../../src/cli/progress.js';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(c, _e, cb) {
        chunks.push(String(c));
        cb();
      },
    }),
    { isTTY },
  );
  return { stream, text: () => chunks.join('') };
}

test('CI detection: unset, empty, 0 and false mean no CI', () => {
  assert.equal(isCi({}), false);
  assert.equal(isCi({ CI: '' }), false);
  assert.equal(isCi({ CI: 'false' }), false);
  assert.equal(isCi({ CI: '0' }), false);
  assert.equal(isCi({ CI: 'true' }), true);
  assert.equal(isCi({ CI: '1' }), true);
});

test('without a TTY, progress is plain lines at most every interval, plus the final state', () => {
  let now = 0;
  const out = sink(false);
  const p = createProgress({
    total: 10,
    label: 'train',
    stream: out.stream,
    env: {},
    intervalMs: 1000,
    now: () => now,
  });
  for (let i = 1; i <= 10; i++) {
    now += 300;
    p.update(i, `loss ${i}`);
  }
  p.log('epoch 1 done');
  p.stop();
  const lines = out.text().trimEnd().split('\n');
  // updates at t=300 (first), 1500, 2700 print; the rest are throttled; stop prints the final state.
  assert.deepEqual(lines, [
    'train: step 1/10 (10%) 0s eta 3s | loss 1',
    'train: step 5/10 (50%) 2s eta 2s | loss 5',
    'train: step 9/10 (90%) 3s eta 0s | loss 9',
    'epoch 1 done',
    'train: step 10/10 (100%) 3s | loss 10',
  ]);
  assert.ok(!out.text().includes('\x1b'), 'no terminal escapes in plain mode');
});

test('CI=true forces plain lines even on a TTY; quiet prints nothing', () => {
  const ci = sink(true);
  const p = createProgress({ total: 2, stream: ci.stream, env: { CI: 'true' }, now: () => 0 });
  p.update(1);
  p.stop();
  assert.match(ci.text(), /^step 1\/2 \(50%\) 0s/);
  assert.ok(!ci.text().includes('\x1b'));
  const q = sink(false);
  const s = createProgress({ total: 2, stream: q.stream, quiet: true });
  s.update(2, 'x');
  s.log('y');
  s.stop();
  assert.equal(q.text(), '');
});

test('on a TTY outside CI, the bar redraws in place with the status text', () => {
  const tty = Object.assign(sink(true), {});
  Object.assign(tty.stream, {
    columns: 200,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
  });
  const p = createProgress({ total: 4, label: 'train', stream: tty.stream, env: {} });
  p.update(4, 'loss 0.5');
  p.stop();
  assert.match(tty.text(), /train \|.*\| 4\/4 100% .*\| loss 0\.5/);
});
