/**
 * Limits of the container format on codec parameters: how many a header
 * holds and what their names may be. The registry checks every codec's
 * parameter schema against them when the codec is registered, the header
 * code (format.ts) checks what it writes and reads.
 */

/** Codec parameters one header holds. */
export const MAX_PARAMS = 16;
/** Longest parameter name, in bytes. */
export const MAX_PARAM_NAME_BYTES = 32;
/** A parameter name: 1-32 ASCII letters, digits or _. */
export const PARAM_NAME = /^[A-Za-z0-9_]{1,32}$/;
/** Container ids are one header byte. */
export const MAX_CONTAINER_ID = 255;
