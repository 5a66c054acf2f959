/** Conv/pool attributes in the form tfjs kernels take. */
import type { Pad4 } from '../spec.js';

export type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];

/** Spec padding [top, bottom, left, right] as NHWC explicit padding. */
export function explicitPad(p: Pad4): ExplicitPad {
  return [
    [0, 0],
    [p[0], p[1]],
    [p[2], p[3]],
    [0, 0],
  ];
}
