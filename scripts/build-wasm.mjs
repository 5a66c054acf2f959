// Builds every AssemblyScript module in wasm/ (wasm/<name>.ts) into
// build/wasm/<name>.wasm with SIMD enabled. Run by `npm run build` and on install.
import { readdirSync, mkdirSync } from 'node:fs';
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
  ]);
  if (error) {
    console.error(stderr.toString());
    throw error;
  }
  console.log(`built build/wasm/${name}.wasm`);
}
