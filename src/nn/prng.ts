/** The counter-based generator of weights and dropout masks lives in src/random.ts; re-exported for src/nn. */
export {
  fillNormal,
  fillUniform,
  hashString,
  lowbias32,
  randomU32,
  streamKey,
  uniform01,
} from '../random.js';
