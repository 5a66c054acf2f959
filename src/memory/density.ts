/**
 * Density = non-zero elements / all elements, where an element is zero only
 * when its bit pattern is all zeros (-0.0 and NaN count as non-zero).
 */

/** Non-zero elements of `bytes` read as `elementBytes`-wide little-endian words. */
export function countNonZero(bytes: Uint8Array, elementBytes: 2 | 4): number {
  const n = Math.floor(bytes.byteLength / elementBytes);
  const aligned = bytes.byteOffset % elementBytes === 0;
  let nz = 0;
  if (aligned && elementBytes === 4) {
    const w = new Uint32Array(bytes.buffer, bytes.byteOffset, n);
    for (let i = 0; i < n; i++) if (w[i] !== 0) nz++;
  } else if (aligned) {
    const w = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    for (let i = 0; i < n; i++) if (w[i] !== 0) nz++;
  } else {
    for (let i = 0; i < n; i++) {
      let any = 0;
      for (let b = 0; b < elementBytes; b++) any |= bytes[i * elementBytes + b];
      if (any !== 0) nz++;
    }
  }
  return nz;
}
