/** Helpers for codecs' describePayload (annotated container dumps). */
import type { DType, ElementBytes } from './codec.js';

/** The element at `at` as a dump shows it: float32 values as numbers (-0 kept), 16-bit ones as hex patterns. */
export function describeElement(
  view: DataView,
  at: number,
  eb: ElementBytes,
  dtype: DType,
): string {
  if (eb === 4) {
    const v = view.getFloat32(at, true);
    return Object.is(v, -0) ? '-0' : String(v);
  }
  return `${dtype} 0x${view.getUint16(at, true).toString(16).padStart(4, '0')}`;
}

/** `v` as 0x followed by 8 hex digits. */
export function hex32(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}
