/** The model plan (src/plan): one place for what a ModelSpec implies before any tensor exists. */
export { ModelPlan } from './plan.js';
export type { SavedBuffer, SaveRole } from './buffers.js';
export type { Graph } from './graph.js';
export { FRAGMENTATION_MARGIN, type PeakEstimate } from './peak.js';
export { layerTemporaries, temporaryBytes, TEMPORARY_FLOOR_BYTES } from './temporaries.js';
export { POLICY_NAMES, parsePolicy, policyBuffers, type PolicyName } from './policy.js';
export { backwardOrder, prefetchWindow, prefetchWindowLength } from './prefetch.js';
export { Timeline, type TimelinePeak } from './timeline.js';
