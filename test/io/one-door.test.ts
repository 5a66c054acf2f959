// Every file cdma reads goes through src/io/read.ts and every file it writes
// through src/io/write.ts: no other module may call the file system's read
// or write functions directly. The spill store's private files are the one
// exception (they are not user files: made, read and removed by cdma itself).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const DIRECT =
  /\b(readFileSync|writeFileSync|appendFileSync|copyFileSync|createReadStream|createWriteStream|openSync|mkdirSync|renameSync|readFile|writeFile)\s*\(/;
const ALLOWED = new Set(['src/io/read.ts', 'src/io/write.ts', 'src/memory/host-store.ts']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

test('only the bounded reader and the safe writer touch files', () => {
  const offenders: string[] = [];
  for (const file of sources('src')) {
    const rel = relative('.', file).split('\\').join('/');
    if (ALLOWED.has(rel)) continue;
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (
          !line.trimStart().startsWith('*') &&
          !line.trimStart().startsWith('//') &&
          DIRECT.test(line)
        )
          offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(offenders, [], 'use readBounded / writeOutput / prepareOutputDir from src/io');
});
