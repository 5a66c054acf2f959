// Layering (issue 9): the core parts import no command-line library and
// nothing from src/cli; the CLI depends on them, never the reverse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CORE = ['src/codec', 'src/nn', 'src/memory', 'src/sim', 'src/study', 'src/tfjs'];
const CLI_LIBRARIES = ['commander', 'cli-progress', 'yargs', 'minimist'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.(ts|mts|js|mjs)$/.test(e.name) ? [p] : [];
  });
}

/** Every module specifier a source file imports or re-exports, statically or dynamically. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) out.push(m[1]);
  return out;
}

/** Why importing `spec` from `file` breaks the layering, or undefined. */
function violation(file: string, spec: string): string | undefined {
  const bare = spec.startsWith('node:') ? undefined : spec.split('/')[0];
  if (bare !== undefined && CLI_LIBRARIES.includes(bare)) return `imports the CLI library ${bare}`;
  if (spec.startsWith('.')) {
    const target = relative(root, resolve(dirname(file), spec));
    if (target === 'src/cli' || target.startsWith('src/cli/')) return `imports ${target}`;
  }
  return undefined;
}

test('the specifier scan sees static, re-export, side-effect and dynamic imports', () => {
  const text = [
    "import { Command } from 'commander';",
    "import type {\n  A,\n  B,\n} from '../cli/x.js';",
    "export { y } from './y.js';",
    "import 'cli-progress';",
    "const m = await import('../cli/z.js');",
  ].join('\n');
  assert.deepEqual(specifiers(text).sort(), [
    '../cli/x.js',
    '../cli/z.js',
    './y.js',
    'cli-progress',
    'commander',
  ]);
  const file = join(root, 'src/memory/x.ts');
  assert.match(violation(file, 'commander') ?? '', /CLI library commander/);
  assert.match(violation(file, '../cli/main.js') ?? '', /src\/cli\/main.js/);
  assert.equal(violation(file, '../codec/codec.js'), undefined);
  assert.equal(violation(file, '../client/x.js'), undefined);
});

test('src/codec, src/nn, src/memory, src/sim, src/study and src/tfjs import no CLI library and nothing from src/cli', () => {
  const problems: string[] = [];
  for (const dir of CORE) {
    for (const file of sources(join(root, dir))) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        const why = violation(file, spec);
        if (why) problems.push(`${relative(root, file)} ${why}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

// Lean dependencies (issue 13): src imports the TensorFlow.js parts it uses
// (core, layers, the cpu and wasm backends), never the umbrella package that
// brings webgl, the converter and tfjs-data; package.json depends on the parts.
const TFJS_PARTS = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-layers',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
];
/** Loaded only for --backend webgpu; not a required dependency. */
const OPTIONAL_TFJS_PARTS = ['@tensorflow/tfjs-backend-webgpu'];

test('src imports only the TensorFlow.js parts it depends on, never the umbrella package', () => {
  const problems: string[] = [];
  for (const file of sources(join(root, 'src'))) {
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('@tensorflow/')) continue;
      const pkg = spec.split('/').slice(0, 2).join('/');
      if (!TFJS_PARTS.includes(pkg) && !OPTIONAL_TFJS_PARTS.includes(pkg))
        problems.push(`${relative(root, file)} imports ${spec}`);
    }
  }
  assert.deepEqual(problems, []);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional?: boolean }>;
  };
  const tfDeps = Object.keys(pkg.dependencies).filter((d) => d.startsWith('@tensorflow/'));
  assert.deepEqual(tfDeps.sort(), [...TFJS_PARTS].sort());
  // The webgpu backend and Dawn install only for programs that ask for them.
  for (const p of [...OPTIONAL_TFJS_PARTS, 'webgpu']) {
    assert.ok(!(p in pkg.dependencies), `${p} is not a required dependency`);
    assert.ok(
      p in pkg.peerDependencies && pkg.peerDependenciesMeta[p]?.optional,
      `${p} is an optional peer`,
    );
  }
});
