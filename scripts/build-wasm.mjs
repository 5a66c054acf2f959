// Builds every AssemblyScript module in wasm/ (wasm/<name>.ts) into
// build/wasm/<name>.wasm with SIMD enabled. Run by `npm run build` and on install.
// A module may ask for extra compiler flags with a first line `// asc-flags: ...`
// (e.g. --importMemory for kernels that run in another module's heap).
import { readdirSync, mkdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'wasm');
const outDir = join(root, 'build', 'wasm');
mkdirSync(outDir, { recursive: true });
const modules = readdirSync(srcDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
for (const file of modules) {
  const name = file.slice(0, -3);
  const first = readFileSync(join(srcDir, file), 'utf8').split('\n', 1)[0];
  const extra =
    /^\/\/\s*asc-flags:(.*)$/.exec(first)?.[1].trim().split(/\s+/).filter(Boolean) ?? [];
  const { error, stderr } = await asc.main([
    join(srcDir, file),
    '--outFile',
    join(outDir, `${name}.wasm`),
    '-O3',
    '--noAssert',
    '--runtime',
    'stub',
    '--enable',
    'simd',
    ...extra,
  ]);
  if (error) {
    console.error(stderr.toString());
    throw error;
  }
  console.log(`built build/wasm/${name}.wasm`);
}
