/**
 * Choosing the ZVC implementation: the WebAssembly SIMD kernels where the
 * runtime has SIMD and build/wasm/zvc.wasm exists, TypeScript otherwise.
 * CDMA_ZVC_IMPL=ts forces TypeScript (tests use it), =wasm requires the kernels.
 */
import { InvalidArgumentError } from '../errors.js';
import { ZvcWasm } from './zvc-wasm.js';

/** Which implementation to use: 'auto' picks WebAssembly SIMD when available. */
export type ZvcImplChoice = 'auto' | 'wasm' | 'ts';

// One kernel instance per thread, created on first use. Its memory is only
// scratch space that each (synchronous) call overwrites, so sharing it is
// safe and keeps getCodec('zvc') cheap.
let shared: ZvcWasm | null | undefined;

/** The thread's shared own-memory ZVC kernel, or undefined where SIMD or the build is missing. */
export function sharedZvcWasm(): ZvcWasm | undefined {
  if (shared === undefined) shared = ZvcWasm.create() ?? null;
  return shared ?? undefined;
}

/** The choice named by CDMA_ZVC_IMPL ('auto' when unset). */
export function zvcImplFromEnv(): ZvcImplChoice {
  const v = process.env.CDMA_ZVC_IMPL;
  if (v === undefined || v === '' || v === 'auto') return 'auto';
  if (v === 'wasm' || v === 'ts') return v;
  throw new InvalidArgumentError(`CDMA_ZVC_IMPL must be auto, wasm or ts, not '${v}'`);
}

/** The kernel for `choice` (undefined means: use TypeScript). */
export function zvcKernelFor(choice: ZvcImplChoice = zvcImplFromEnv()): ZvcWasm | undefined {
  if (choice === 'ts') return undefined;
  const kernel = sharedZvcWasm();
  if (choice === 'wasm' && kernel === undefined)
    throw new InvalidArgumentError(
      'the WebAssembly zvc kernel is unavailable (no WebAssembly SIMD, or build/wasm/zvc.wasm missing: run npm run build)',
    );
  return kernel;
}
