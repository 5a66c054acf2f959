/**
 * The examples of docs/CODECS.md's Library API section run as written, with
 * `cdma/codecs` pointing at the sources: every `console.log(...); // text`
 * must print that text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inspect as show } from 'node:util';
import { tempDir } from '../helpers/tmp.js';

const doc = readFileSync(new URL('../../docs/CODECS.md', import.meta.url), 'utf8');

function example(name: string): string {
  const m = new RegExp(`<!-- example: ${name} -->\\s*\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(doc);
  assert.ok(m, `docs/CODECS.md has no "example: ${name}" block`);
  return m[1];
}

/** Runs an example with its imports resolved from this repository; gives [printed, expected]. */
async function run(name: string, dir: string): Promise<[string[], string[]]> {
  const entry = new URL('../../src/codec/index.ts', import.meta.url).href;
  const source = example(name).replace(
    /^(import .*?)'([^']+)';$/gm,
    (_, head: string, spec: string) =>
      `${head}'${spec === 'cdma/codecs' ? entry : spec.startsWith('node:') ? spec : import.meta.resolve(spec)}';`,
  );
  const expected = [...source.matchAll(/^\s*console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]);
  const file = join(dir, `${name}.mts`);
  writeFileSync(file, source);
  const printed: string[] = [];
  const log = console.log;
  const tmp = process.env.TMPDIR;
  process.env.TMPDIR = dir; // what an example makes in os.tmpdir() goes when the test's dir does
  console.log = (...args: unknown[]) =>
    printed.push(args.map((a) => show(a, { compact: true, breakLength: Infinity })).join(' '));
  try {
    await import(pathToFileURL(file).href);
  } finally {
    console.log = log;
    if (tmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmp;
  }
  return [printed, expected];
}

for (const name of ['compress', 'codec-objects', 'zarr'])
  test(`the ${name} example of docs/CODECS.md runs as written`, async (t) => {
    const [printed, expected] = await run(name, tempDir(t, 'codecs-doc'));
    assert.ok(expected.length > 0, 'the example prints something to check');
    assert.deepEqual(
      printed.filter((line) => !line.includes('TensorFlow.js in Node.js')),
      expected,
    );
  });
