// docs/API.md's examples run as a user's programs: each ```ts block is saved
// in a folder of its own whose node_modules holds the package (a link to this
// checkout, built by `npm test`) and TensorFlow.js, and run with tsx. They
// import `cdma` by name, so they see exactly the package entry's exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { tempDir } from './helpers/tmp.js';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const doc = readFileSync(join(root, 'docs/API.md'), 'utf8');

/** The ```ts blocks of a markdown text, with the line each starts on. */
function tsBlocks(text: string): { line: number; code: string }[] {
  const out: { line: number; code: string }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```ts') continue;
    const start = i + 1;
    let j = start;
    while (j < lines.length && lines[j].trim() !== '```') j++;
    out.push({ line: start + 1, code: lines.slice(start, j).join('\n') + '\n' });
    i = j;
  }
  return out;
}

/** A folder where `import 'cdma'` resolves to this package, as after `npm install cdma`. */
function userProject(t: Parameters<typeof tempDir>[0]): string {
  const dir = tempDir(t, 'api');
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'cdma'), 'dir');
  symlinkSync(
    join(root, 'node_modules', '@tensorflow'),
    join(dir, 'node_modules', '@tensorflow'),
    'dir',
  );
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  return dir;
}

const blocks = tsBlocks(doc);

test('docs/API.md has examples', () => {
  assert.ok(blocks.length >= 5, `found ${blocks.length} examples`);
});

/** The names in backticks of the API table's exports column. */
function tableNames(): string[] {
  const at = doc.search(/^\| part +\|/m);
  const table = doc.slice(at, doc.indexOf('\n\n', at));
  const names: string[] = [];
  for (const row of table.split('\n').slice(2)) {
    const cell = row.split('|')[3] ?? '';
    for (const m of cell.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)) names.push(m[1]);
  }
  return names;
}

test(
  'the examples and every name of the API table type-check against the published declarations',
  { timeout: 300_000 },
  async (t) => {
    const names = tableNames();
    assert.ok(names.length > 30, `the table lists ${names.length} names`);
    const entry = (await import(pathToFileURL(join(root, 'dist/src/index.js')).href)) as object;
    const values = names.filter((n) => n in entry);
    const types = names.filter((n) => !(n in entry));
    const dir = userProject(t);
    const files = blocks.map((b, i) => {
      const f = `example-${i + 1}.ts`;
      writeFileSync(join(dir, f), b.code);
      return f;
    });
    writeFileSync(
      join(dir, 'names.ts'),
      `import { ${values.join(', ')} } from 'cdma';\n` +
        `import type { ${types.join(', ')} } from 'cdma';\n` +
        `export const used = [${values.join(', ')}];\n` +
        types.map((n, i) => `export type T${i} = ${n};`).join('\n') +
        '\n',
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = [
      tsc,
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      '--target',
      'es2022',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--typeRoots',
      join(root, 'node_modules', '@types'),
      '--types',
      'node',
      'names.ts',
      ...files,
    ];
    try {
      await run(process.execPath, args, { cwd: dir, maxBuffer: 16 << 20 });
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; message: string };
      assert.fail(`tsc:\n${err.stdout ?? ''}${err.stderr ?? err.message}`);
    }
  },
);

const tsx = fileURLToPath(import.meta.resolve('tsx'));

for (const [i, b] of blocks.entries()) {
  test(`docs/API.md example ${i + 1} (line ${b.line}) runs`, { timeout: 300_000 }, async (t) => {
    const dir = userProject(t);
    const file = join(dir, `example-${i + 1}.ts`);
    writeFileSync(file, b.code);
    try {
      const r = await run(process.execPath, ['--import', pathToFileURL(tsx).href, file], {
        cwd: dir,
        maxBuffer: 16 << 20,
      });
      assert.ok(r.stdout.length > 0, 'an example prints what it shows');
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; message: string };
      assert.fail(
        `example at docs/API.md:${b.line} failed:\n${err.stdout ?? ''}\n${err.stderr ?? err.message}`,
      );
    }
  });
}
