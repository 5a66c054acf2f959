import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { onExit, runCleanups, SIGNAL_EXIT_CODES } from '../../src/io/lifecycle.js';
import { tempDir } from '../helpers/tmp.js';

const CHILD = 'test/io/fixtures/lifecycle-child.ts';

function run(
  args: string[],
  onReady: (child: ReturnType<typeof spawn>) => void,
): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += String(d);
      if (err.includes('ready\n')) onReady(child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, err }));
    if (args[0] === 'pipe') onReady(child);
  });
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  test(`${signal} runs every cleanup and exits ${SIGNAL_EXIT_CODES[signal]}`, async (t) => {
    const marker = join(tempDir(t), 'marker');
    let sent = false;
    const r = await run(['signal', marker], (c) => {
      if (!sent) c.kill(signal);
      sent = true;
    });
    assert.equal(r.code, SIGNAL_EXIT_CODES[signal]);
    assert.equal(existsSync(marker), false);
  });
}

test('a closed standard output ends the program quietly (exit 141, nothing on stderr)', async (t) => {
  const marker = join(tempDir(t), 'marker');
  const r = await run(['pipe', marker], (c) => {
    c.stdout!.once('data', () => c.stdout!.destroy());
  });
  assert.equal(r.code, 141);
  assert.equal(r.err, '');
  assert.equal(existsSync(marker), false);
});

test('cleanups run once, in any case, and an unregistered one not at all', () => {
  const ran: string[] = [];
  onExit(() => ran.push('a'));
  const forget = onExit(() => ran.push('b'));
  onExit(() => {
    throw new Error('one failing cleanup does not stop the others');
  });
  onExit(() => ran.push('c'));
  forget();
  runCleanups();
  runCleanups();
  assert.deepEqual(ran, ['a', 'c']);
});
