/**
 * Finding and compiling cdma's WebAssembly modules (built from wasm/<name>.ts
 * into build/wasm/<name>.wasm by scripts/build-wasm.mjs), and detecting
 * WebAssembly SIMD. The package root is found by walking up from this file,
 * so the same code works from src/ (tsx) and from dist/src/ (built).
 */
import { existsSync } from 'node:fs';
import { readBounded, readJsonBounded } from '../io/read.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wasmApi, type WasmModule } from './wasm-api.js';

/** i32.const 0; i8x16.splat; i8x16.popcnt: validates only where SIMD is supported. */
const SIMD_PROBE = Uint8Array.of(
  0,
  97,
  115,
  109,
  1,
  0,
  0,
  0,
  1,
  5,
  1,
  96,
  0,
  1,
  123,
  3,
  2,
  1,
  0,
  10,
  10,
  1,
  8,
  0,
  65,
  0,
  253,
  15,
  253,
  98,
  11,
);

/** Whether this runtime validates WebAssembly SIMD (128-bit) code. */
export function simdSupported(): boolean {
  try {
    return wasmApi !== undefined && wasmApi.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/** The directory holding cdma's package.json, walking up from `fromUrl`; undefined if none. */
export function packageRoot(fromUrl: string = import.meta.url): string | undefined {
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if (
          (readJsonBounded(pkg, { what: 'package.json', maxBytes: 1 << 20 }) as { name?: unknown })
            ?.name === 'cdma'
        )
          return dir;
      } catch {
        // An unreadable package.json is not ours; keep walking up.
      }
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** Path of build/wasm/<name>.wasm in the package, or undefined when it was not built. */
export function wasmFile(name: string): string | undefined {
  const root = packageRoot();
  if (root === undefined) return undefined;
  const file = join(root, 'build', 'wasm', `${name}.wasm`);
  return existsSync(file) ? file : undefined;
}

// Compiled modules are immutable; compiling once per process is a cache, not state.
const compiled = new Map<string, WasmModule | null>();

/** The compiled module build/wasm/<name>.wasm, or undefined when it is missing or invalid here. */
export function loadWasmModule(name: string): WasmModule | undefined {
  if (!compiled.has(name)) {
    let mod: WasmModule | null = null;
    const file = wasmFile(name);
    if (file !== undefined && wasmApi !== undefined) {
      try {
        mod = new wasmApi.Module(readBounded(file, { what: 'wasm module', maxBytes: 64 << 20 }));
      } catch {
        mod = null;
      }
    }
    compiled.set(name, mod);
  }
  return compiled.get(name) ?? undefined;
}
