/**
 * Cleanup that never hides the error it cleans up after. When a step fails
 * because the wasm heap broke (an overflow, an out-of-bounds access), freeing
 * tensors afterwards often fails too ("memory access out of bounds"); a
 * throwing `finally` would then replace the real cause with that echo.
 */

/**
 * Runs every cleanup in order, each even if an earlier one threw. After a
 * failure (`failed`) their errors are dropped, so the original error is the
 * one that propagates; otherwise the first cleanup error is thrown.
 */
export function cleanUp(failed: boolean, ...cleanups: readonly (() => void)[]): void {
  let first: { error: unknown } | undefined;
  for (const fn of cleanups) {
    try {
      fn();
    } catch (e) {
      first ??= { error: e };
    }
  }
  if (first && !failed) throw first.error;
}
