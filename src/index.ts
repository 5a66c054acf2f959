/** Public library API of cdma. */
export * from './errors.js';
