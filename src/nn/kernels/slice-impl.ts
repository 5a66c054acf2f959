/**
 * Slice on the wasm heap without the copy of the whole input that
 * tfjs-backend-wasm 4.22's Slice makes (it reads x out with readSync first,
 * which costs a full pass over x per slice: the channel splits of grouped
 * convolutions and concat backward would pay it on every activation).
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export function sliceWasm(
  backend: BackendWasm,
  x: TensorInfo,
  begin: readonly number[],
  size: readonly number[],
): TensorInfo {
  const rank = x.shape.length;
  if (begin.length !== rank || size.length !== rank) {
    throw new Error(`slice: begin/size rank ${begin.length}/${size.length} != ${rank}`);
  }
  const outSize = size.map((s, i) => (s === -1 ? x.shape[i] - begin[i] : s));
  for (let i = 0; i < rank; i++) {
    if (begin[i] < 0 || outSize[i] < 0 || begin[i] + outSize[i] > x.shape[i]) {
      throw new Error(`slice: [${begin}] + [${outSize}] outside [${x.shape}]`);
    }
  }
  const out = backend.makeOutput(outSize, x.dtype);
  // Views are taken after makeOutput: allocation may grow (and detach) the heap.
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  if (dst.length === 0) return out;
  // Merge the trailing axes that are taken whole into one contiguous run.
  let inner = 1;
  let k = rank - 1;
  while (k > 0 && begin[k] === 0 && outSize[k] === x.shape[k]) {
    inner *= x.shape[k];
    k--;
  }
  // Axis k is partially taken (or k = 0): a run is outSize[k] * inner elements.
  const run = outSize[k] * inner;
  const strides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * x.shape[i + 1];
  const outer = outSize.slice(0, k);
  const count = outer.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(k).fill(0);
  let base = begin[k] * strides[k];
  for (let i = 0; i < k; i++) base += begin[i] * strides[i];
  let o = 0;
  for (let c = 0; c < count; c++) {
    let off = base;
    for (let i = 0; i < k; i++) off += idx[i] * strides[i];
    dst.set(src.subarray(off, off + run), o);
    o += run;
    for (let i = k - 1; i >= 0; i--) {
      if (++idx[i] < outer[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}
