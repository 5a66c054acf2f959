/** The seeded generator of sample tensors lives in src/random.ts; re-exported for src/codec. */
export { seededRandom } from '../random.js';
