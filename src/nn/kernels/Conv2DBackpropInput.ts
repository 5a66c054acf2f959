/**
 * dX for NHWC convolution through forward convolutions (tfjs-backend-wasm
 * 4.22's own kernel is ~10x slower than forward convolution).
 *
 * Along one axis with stride s, kernel K and leading padding p, the input row
 * i = s*q + a (phase a in [0, s)) receives dy[q + c - m] * w[s*m + r] for
 * m = 0..M-1, where c = floor((a+p)/s), r = (a+p) mod s and M = ceil((K-r)/s).
 * So each of the s_h*s_w phases is a stride-1 convolution of dy with the
 * flipped sub-filter w[r::s] (in/out channels swapped), and dX is the phases
 * interleaved: no multiplications by inserted zeros. Stride 1 is one phase:
 * the classic "full" convolution with the flipped filter.
 */
import { backend_util, Conv2DBackpropInput } from '@tensorflow/tfjs-core';
import type {
  Conv2DBackpropInputAttrs,
  Conv2DBackpropInputInputs,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { f32 } from './heap.js';
import { type BaseKernels, WasmOps } from './wasm-ops.js';

type Shape4 = [number, number, number, number];

/** One phase along one axis: which dy window, padding and filter taps it uses. */
interface AxisPhase {
  /** First filter tap (r) and how many taps (M); M = 0: the phase gets nothing. */
  readonly tap: number;
  readonly taps: number;
  /** Distance between taps: the stride. */
  readonly step: number;
  /** dy window [from, to) and the zero padding before/after it. */
  readonly from: number;
  readonly to: number;
  readonly padBefore: number;
  readonly padAfter: number;
}

/** Rows of dX per phase (Q) and each phase's plan along one axis. */
export function planAxis(
  size: number,
  outSize: number,
  kernel: number,
  stride: number,
  padBefore: number,
): { perPhase: number; phases: AxisPhase[] } {
  const perPhase = Math.ceil(size / stride);
  const phases: AxisPhase[] = [];
  for (let a = 0; a < stride; a++) {
    const c = Math.floor((a + padBefore) / stride);
    const r = (a + padBefore) % stride;
    const taps = r < kernel ? Math.ceil((kernel - r) / stride) : 0;
    const lo = c - taps + 1;
    const hi = perPhase + c;
    const from = Math.max(lo, 0);
    const to = Math.min(hi, outSize);
    phases.push(
      taps === 0 || to <= from
        ? { tap: r, taps: 0, step: stride, from: 0, to: 0, padBefore: 0, padAfter: 0 }
        : { tap: r, taps, step: stride, from, to, padBefore: from - lo, padAfter: hi - to },
    );
  }
  return { perPhase, phases };
}

export function conv2DBackpropInputConfig(base: BaseKernels): KernelConfig {
  const kernelFunc = (args: {
    inputs: Conv2DBackpropInputInputs;
    backend: BackendWasm;
    attrs: Conv2DBackpropInputAttrs;
  }): TensorInfo => {
    const dy = args.inputs.dy as TensorInfo;
    const filter = args.inputs.filter as TensorInfo;
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs;
    if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropInput: only NHWC is supported');
    const info = backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as Shape4,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const ops = new WasmOps(args.backend, base);
    const [n, H, W, ci] = inputShape;
    const [kh, kw, , co] = filter.shape;
    const rows = planAxis(H, info.outHeight, kh, info.strideHeight, info.padInfo.top);
    const cols = planAxis(W, info.outWidth, kw, info.strideWidth, info.padInfo.left);
    const parts: TensorInfo[] = [];
    for (const ph of rows.phases) {
      for (const pw of cols.phases) {
        if (ph.taps === 0 || pw.taps === 0) {
          parts.push(ops.zeros([n, rows.perPhase, cols.perPhase, ci]));
          continue;
        }
        parts.push(phaseConv(ops, dy, filter, ph, pw, co));
      }
    }
    if (parts.length === 1) return cropTo(ops, parts[0], inputShape);
    const dx = interleave(args.backend, parts, info.strideHeight, info.strideWidth, inputShape);
    ops.free(...parts);
    return dx;
  };
  return {
    kernelName: Conv2DBackpropInput,
    backendName: 'wasm',
    kernelFunc: kernelFunc as unknown as KernelFunc,
  };
}

function phaseConv(
  ops: WasmOps,
  dy: TensorInfo,
  filter: TensorInfo,
  ph: AxisPhase,
  pw: AxisPhase,
  co: number,
): TensorInfo {
  const [n, oh, ow] = dy.shape;
  const f = flippedSubFilter(ops, filter, ph, pw);
  let win = dy;
  if (ph.from !== 0 || ph.to !== oh || pw.from !== 0 || pw.to !== ow) {
    win = ops.slice(dy, [0, ph.from, pw.from, 0], [n, ph.to - ph.from, pw.to - pw.from, co]);
  }
  const out = ops.conv2d(
    win,
    f,
    [1, 1],
    [1, 1],
    [ph.padBefore, ph.padAfter, pw.padBefore, pw.padAfter],
  );
  if (win !== dy) ops.free(win);
  ops.free(f);
  return out;
}

/**
 * The phase's sub-filter w[tap::step] with its taps reversed and in/out
 * channels swapped, [M_h, M_w, co, ci]: the taps are copied in reverse order
 * as whole ci x co blocks, then transposed (tfjs-backend-wasm 4.22's Reverse
 * takes milliseconds on a 3x3x96x96 filter).
 */
function flippedSubFilter(
  ops: WasmOps,
  filter: TensorInfo,
  ph: AxisPhase,
  pw: AxisPhase,
): TensorInfo {
  const [, kw, ci, co] = filter.shape;
  const block = ci * co;
  const taps = ops.backend.makeOutput([ph.taps, pw.taps, ci, co], 'float32');
  const src = f32(ops.backend, filter);
  const dst = f32(ops.backend, taps);
  let o = 0;
  for (let i = 0; i < ph.taps; i++) {
    const r = ph.tap + (ph.taps - 1 - i) * ph.step;
    for (let j = 0; j < pw.taps; j++) {
      const q = pw.tap + (pw.taps - 1 - j) * pw.step;
      const from = (r * kw + q) * block;
      dst.set(src.subarray(from, from + block), o);
      o += block;
    }
  }
  const out = ops.transpose(taps, [0, 1, 3, 2]);
  ops.free(taps);
  return out;
}

/**
 * dx[n, sh*q + a, sw*p + b, :] = parts[a*sw + b][n, q, p, :], cropped to
 * [N, H, W, C]. Runs of C floats are copied with TypedArray.set; the wasm
 * Transpose of the equivalent 6-d permutation is ~30x slower.
 */
function interleave(
  backend: BackendWasm,
  parts: TensorInfo[],
  sh: number,
  sw: number,
  [n, H, W, c]: Shape4,
): TensorInfo {
  const out = backend.makeOutput([n, H, W, c], 'float32');
  const dst = backend.typedArrayFromHeap(out);
  const src = parts.map((t) => backend.typedArrayFromHeap(t));
  const [, qh, qw] = parts[0].shape;
  for (let b = 0; b < n; b++) {
    for (let row = 0; row < H; row++) {
      const q = Math.floor(row / sh);
      const a = row - q * sh;
      const rowBase = (b * qh + q) * qw * c;
      let o = (b * H + row) * W * c;
      for (let col = 0; col < W; col++) {
        const p = Math.floor(col / sw);
        const from = rowBase + p * c;
        dst.set(src[a * sw + (col - p * sw)].subarray(from, from + c), o);
        o += c;
      }
    }
  }
  return out;
}

function cropTo(ops: WasmOps, t: TensorInfo, [n, H, W, ci]: Shape4): TensorInfo {
  if (t.shape[1] === H && t.shape[2] === W) return t;
  const out = ops.slice(t, [0, 0, 0, 0], [n, H, W, ci]);
  ops.free(t);
  return out;
}
