/**
 * Offload policies (vDNN's), one vocabulary for the memory manager and the
 * performance model:
 * - none: keep everything on the device (the oracle);
 * - all:  offload every saved buffer, memory-optimal;
 * - conv: offload only the inputs X of convolution layers, whose long
 *         computations hide the transfers best;
 * - dyn:  profile, then pick the fastest set that fits the budget (the
 *         memory manager's src/memory/dyn.ts; the performance model has no
 *         dyn).
 */
import { InvalidArgumentError } from '../errors.js';
import type { SavedBuffer } from './buffers.js';

export type PolicyName = 'none' | 'all' | 'conv' | 'dyn';
export const POLICY_NAMES: readonly PolicyName[] = ['none', 'all', 'conv', 'dyn'];

export function parsePolicy(s: string): PolicyName {
  if ((POLICY_NAMES as readonly string[]).includes(s)) return s as PolicyName;
  throw new InvalidArgumentError(`unknown policy '${s}': use one of ${POLICY_NAMES.join(', ')}`);
}

/** The buffers among `candidates` that a static policy offloads. */
export function policyBuffers<B extends SavedBuffer>(
  policy: Exclude<PolicyName, 'dyn'>,
  candidates: readonly B[],
): B[] {
  if (policy === 'none') return [];
  if (policy === 'all') return [...candidates];
  return candidates.filter((b) => b.convInput);
}
