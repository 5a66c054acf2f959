/**
 * Per-layer forward and backward times from a roofline: a layer takes the
 * longer of its math at (peak x efficiency) and its DRAM traffic at (peak
 * bandwidth x memory efficiency). Convolutions run one of cuDNN's algorithms
 * per pass (conv-algos.ts): the memory-optimal implicit GEMM or the fastest
 * the library offers, each with its own arithmetic, extra traffic, efficiency
 * and workspace. A measured profile (profile.ts) overrides efficiencies or
 * whole layer times.
 */
import type { LayerAnalysis, ModelAnalysis } from '../nn/shapes.js';
import type { LayerKind } from '../nn/spec.js';
import {
  convAlgoCosts,
  convGeometry,
  getConvLibrary,
  type AlgoChoice,
  type ConvAlgo,
  type ConvLibrary,
} from './conv-algos.js';
import type { GpuSpec } from './gpus.js';
import type { Profile } from './profile.js';

/** Fraction of peak FLOP/s a kind reaches; `memory` is the fraction of peak DRAM bandwidth. */
export interface Efficiency {
  readonly compute: Readonly<Partial<Record<LayerKind, number>>>;
  /** Used for kinds missing from `compute`. */
  readonly computeDefault: number;
  readonly memory: number;
}

/**
 * Defaults (docs/SIMULATOR.md): cuDNN's tuned GEMM convolutions reach 50% of
 * fp32 peak, GEMMs (dense layers) ~80%; on tensor cores (16-bit on V100 and
 * later) convolutions ~50% and GEMMs ~60% of the dense tensor peak;
 * streaming kernels reach 80% of DRAM bandwidth. The conv2d entry is the rate
 * of the tuned GEMM algorithm (IMPLICIT_PRECOMP_GEMM and its backward
 * equivalents) and of the FFT's per-frequency products; the workspace-free
 * implicit GEMM runs at IMPLICIT_SPEED of it.
 *
 * The convolution numbers are fitted to measurements on a Titan X, not to the
 * papers: soumith/convnet-benchmarks, Torch with cuDNN R4 and its auto-tuner
 * (AlexNet 81 ms, OverFeat 268 ms, VGG-A 529 ms at batch 64, GoogLeNet 471 ms
 * per iteration) and with cuDNN R2, whose kernels were the implicit GEMM
 * (233, 798, 1078 and 591 ms). Tuned GEMM at 0.5, implicit GEMM at 0.35 and 8
 * DRAM transfers per FFT spectrum (conv-algos.ts) reproduce the R2 times
 * within 15% and the R4 times within 17%, except GoogLeNet's R4 time, which
 * the model puts 27% lower (test/sim/algorithms.test.ts). Other GPUs keep
 * these fractions of their own peaks (an assumption).
 */
export const DEFAULT_EFFICIENCY: Efficiency = {
  compute: { conv2d: 0.5, dense: 0.8 },
  computeDefault: 0.5,
  memory: 0.8,
};
export const TENSOR_CORE_EFFICIENCY: Efficiency = {
  compute: { conv2d: 0.5, dense: 0.6 },
  computeDefault: 0.5,
  memory: 0.8,
};

/**
 * Each algorithm's arithmetic rate relative to the tuned GEMM convolution:
 * implicit GEMM 0.7 (0.35 of peak on fp32, see above); FFT products and
 * Winograd's element-wise stage are batched matrix products at the tuned
 * rate (their savings are in the arithmetic they skip).
 */
export const IMPLICIT_SPEED = 0.7;
export const ALGO_SPEED: Readonly<Record<ConvAlgo, number>> = {
  'implicit-gemm': IMPLICIT_SPEED,
  gemm: 1,
  fft: 1,
  'fft-tiling': 1,
  winograd: 1,
};

/** The library whose algorithms a run may use when none is given: vDNN's (cuDNN 4). */
export const DEFAULT_LIBRARY = getConvLibrary('cudnn4');

export interface LayerTime {
  readonly index: number;
  readonly name: string;
  readonly kind: LayerKind;
  /** Seconds for the whole batch. */
  readonly forward: number;
  readonly backward: number;
  /** DRAM bytes the computation moves (whole batch). */
  readonly forwardBytes: number;
  readonly backwardBytes: number;
  /** What set each time. */
  readonly forwardBound: 'compute' | 'memory' | 'profile' | 'none';
  readonly backwardBound: 'compute' | 'memory' | 'profile' | 'none';
  /** Convolutions: the algorithm of each pass (backward data is null when no input gradient is needed). */
  readonly algos: ConvPassAlgos | null;
  /** Workspace the layer holds while its forward / backward pass runs (bytes, whole batch). */
  readonly forwardWorkspace: number;
  readonly backwardWorkspace: number;
}

export interface ConvPassAlgos {
  readonly forward: ConvAlgo;
  readonly backwardData: ConvAlgo | null;
  readonly backwardFilter: ConvAlgo;
}

export interface RooflineInput {
  readonly analysis: ModelAnalysis;
  readonly batch: number;
  readonly gpu: GpuSpec;
  readonly elementBytes: 2 | 4;
  readonly profile?: Profile;
  /** Memory-optimal (implicit GEMM) or performance-optimal convolutions; default performance. */
  readonly algo?: AlgoChoice;
  /** Layers (indices) that run memory-optimal whatever `algo` says (vDNN_dyn's greedy step). */
  readonly memoryOptimal?: ReadonlySet<number>;
  /** Default cuDNN 4 (vDNN's). */
  readonly library?: ConvLibrary;
}

/** Kinds whose math runs on tensor cores for 16-bit data. */
const MATRIX_KINDS: ReadonlySet<LayerKind> = new Set(['conv2d', 'dense']);

const sumElems = (shapes: readonly (readonly number[])[]): number =>
  shapes.reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);

/**
 * DRAM bytes per pass. Forward reads inputs and weights and writes the output
 * (dropout also writes its mask); backward reads the saved tensors, dY and the
 * weights and writes dX and dW. A flatten is a view (no traffic); the input
 * layer does nothing.
 */
export function layerBytes(
  l: LayerAnalysis,
  batch: number,
  e: number,
): { forward: number; backward: number } {
  const k = l.spec.kind;
  if (k === 'flatten' || k === 'input') return { forward: 0, backward: 0 };
  const x = sumElems(l.inputShapes) * batch * e;
  const y = l.outputElements * batch * e;
  const w = l.params * 4;
  const saved = l.savedElements * batch * e;
  const forward = x + y + w + (k === 'dropout' ? x : 0);
  const backward = l.backwardFlops === 0 ? 0 : saved + y + x + 2 * w;
  return { forward, backward };
}

export function usesTensorCores(gpu: GpuSpec, elementBytes: 2 | 4): boolean {
  return elementBytes === 2 && gpu.fp16Tflops > gpu.fp32Tflops;
}

interface PassTime {
  readonly seconds: number;
  readonly bound: 'compute' | 'memory' | 'none';
  readonly algo: ConvAlgo | null;
  readonly workspace: number;
}

export function layerTimes(input: RooflineInput): LayerTime[] {
  const { analysis, batch, gpu, elementBytes, profile } = input;
  const tc = usesTensorCores(gpu, elementBytes);
  const base = tc ? TENSOR_CORE_EFFICIENCY : DEFAULT_EFFICIENCY;
  const profiled = profile?.efficiency?.compute ?? {};
  const eff: Efficiency = {
    compute: { ...base.compute, ...profiled },
    computeDefault: base.computeDefault,
    memory: profile?.efficiency?.memory ?? base.memory,
  };
  const library = input.library ?? DEFAULT_LIBRARY;
  const dram = gpu.dramGBs * 1e9 * eff.memory;
  const first = analysis.spec.layers[0].name;
  return analysis.layers.map((l) => {
    const kind = l.spec.kind;
    const peak = (tc && MATRIX_KINDS.has(kind) ? gpu.fp16Tflops : gpu.fp32Tflops) * 1e12;
    const flopRate = peak * (eff.compute[kind] ?? eff.computeDefault);
    const bytes = layerBytes(l, batch, elementBytes);
    const roof = (flops: number, b: number, rate = flopRate): PassTime => {
      const tc1 = (flops * batch) / rate;
      const tm = b / dram;
      if (tc1 === 0 && tm === 0) return { seconds: 0, bound: 'none', algo: null, workspace: 0 };
      return tc1 >= tm
        ? { seconds: tc1, bound: 'compute', algo: null, workspace: 0 }
        : { seconds: tm, bound: 'memory', algo: null, workspace: 0 };
    };
    let fwd: PassTime;
    let bwd: PassTime;
    let algos: ConvPassAlgos | null = null;
    const geometry = convGeometry(l, batch);
    if (geometry && profiled.conv2d === undefined) {
      // One pass of any algorithm: the slower of its math and its traffic.
      const memoryOnly = input.algo === 'memory' || input.memoryOptimal?.has(l.index) === true;
      const allowed: readonly ConvAlgo[] = memoryOnly
        ? ['implicit-gemm']
        : tc
          ? ['implicit-gemm', 'gemm'] // cuDNN's FFT and Winograd kernels do not use tensor cores
          : library.algorithms;
      const costs = convAlgoCosts(geometry, allowed);
      const pass = (passBytes: number): PassTime => {
        let best: PassTime | null = null;
        for (const c of costs) {
          const t = roof(c.flops / batch, passBytes + c.extraBytes, flopRate * ALGO_SPEED[c.algo]);
          if (best === null || t.seconds < best.seconds)
            best = { ...t, algo: c.algo, workspace: c.workspaceBytes };
        }
        return best!;
      };
      const half = bytes.backward / 2;
      const needsDx = l.spec.inputs[0] !== first;
      fwd = pass(bytes.forward);
      const bFilter = pass(needsDx ? half : bytes.backward);
      const bData = needsDx ? pass(half) : null;
      bwd = {
        seconds: bFilter.seconds + (bData?.seconds ?? 0),
        bound: bData && bData.seconds > bFilter.seconds ? bData.bound : bFilter.bound,
        algo: null,
        workspace: Math.max(bFilter.workspace, bData?.workspace ?? 0),
      };
      algos = {
        forward: fwd.algo!,
        backwardData: bData?.algo ?? null,
        backwardFilter: bFilter.algo!,
      };
    } else {
      fwd = roof(l.forwardFlops, bytes.forward);
      bwd = roof(l.backwardFlops, bytes.backward);
    }
    let forward = fwd.seconds;
    let backward = bwd.seconds;
    let forwardBound: LayerTime['forwardBound'] = fwd.bound;
    let backwardBound: LayerTime['backwardBound'] = bwd.bound;
    const measured = profile?.layers.get(l.spec.name);
    if (measured) {
      const scale = batch / (profile?.batch ?? batch);
      forward = measured.forwardMs * 1e-3 * scale;
      backward = measured.backwardMs * 1e-3 * scale;
      forwardBound = 'profile';
      backwardBound = 'profile';
    }
    return {
      index: l.index,
      name: l.spec.name,
      kind,
      forward,
      backward,
      forwardBytes: bytes.forward,
      backwardBytes: bytes.backward,
      forwardBound,
      backwardBound,
      algos,
      forwardWorkspace: fwd.workspace,
      backwardWorkspace: bwd.workspace,
    };
  });
}
