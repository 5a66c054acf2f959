/** The offload policies live in the model plan (src/plan/policy.ts); re-exported for the memory options. */
export { POLICY_NAMES, parsePolicy, type PolicyName } from '../plan/policy.js';
