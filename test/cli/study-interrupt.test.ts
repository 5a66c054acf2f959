import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readResults } from '../../src/study/results.js';
import { runCliProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

test('an interrupted study saves, exits 130 and prints the command that resumes it', async (t) => {
  const out = join(tempDir(t, 'study-interrupt'), 'run');
  const args = [
    'study',
    '--models',
    'alexnet',
    '--steps',
    '20',
    '--every',
    '5',
    '--batch',
    '8',
    '--limit',
    '64',
    '--fresh',
    '--out',
    out,
  ];
  let sent = false;
  const first = await runCliProcess(args, {
    onStderr(stderr, child) {
      if (!sent && /alexnet-small: step \d+\/20/.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    },
  });
  assert.ok(sent, `the study never reached a step: ${first.err}`);
  assert.equal(first.code, 130, first.err);
  const last = first.err.trimEnd().split('\n').pop() ?? '';
  const m = /^cdma: interrupted; resume with: (cdma study .*)$/.exec(last);
  assert.ok(m, `last line names the resume command: ${last}`);
  const resume = m[1].split(' ');
  assert.ok(!resume.includes('--fresh'), 'resuming must not discard what was saved');
  assert.deepEqual(resume.slice(0, 2), ['cdma', 'study']);
  for (const a of ['--models', 'alexnet', '--steps', '20', '--every', '5', '--out', out]) {
    assert.ok(resume.includes(a), `${a} in ${m[1]}`);
  }
  const mid = readResults(join(out, 'results.json'));
  assert.equal(mid.models[0].status, 'running');

  const again = await runCliProcess(resume.slice(1));
  assert.equal(again.code, 0, again.err);
  assert.match(
    again.err,
    new RegExp(`alexnet-small: resuming at step ${mid.models[0].stepsDone} of 20`),
  );
  assert.equal(readResults(join(out, 'results.json')).models[0].status, 'complete');
});
