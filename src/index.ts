/** Public library API of cdma. */
export * from './errors.js';
export * from './codec/api.js';
export { parseNpy, encodeNpy, npyHeader, type NpyArray, type NpyDType } from './io/npy.js';
