/**
 * Per-layer forward and backward times from a roofline: a layer takes the
 * longer of its math at (peak x kind efficiency) and its DRAM traffic at
 * (peak bandwidth x memory efficiency). A measured profile (profile.ts)
 * overrides efficiencies or whole layer times.
 */
import type { LayerAnalysis, ModelAnalysis } from '../nn/shapes.js';
import type { LayerKind } from '../nn/spec.js';
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
 * Defaults (assumptions, docs/SIMULATOR.md): cuDNN-class GEMM/implicit-GEMM
 * convolutions reach ~70% of fp32 peak and GEMMs ~80%; on tensor cores
 * (16-bit on V100 and later) convolutions ~50% and GEMMs ~60% of the dense
 * tensor peak; streaming kernels reach 80% of DRAM bandwidth.
 */
export const DEFAULT_EFFICIENCY: Efficiency = {
  compute: { conv2d: 0.7, dense: 0.8 },
  computeDefault: 0.5,
  memory: 0.8,
};
export const TENSOR_CORE_EFFICIENCY: Efficiency = {
  compute: { conv2d: 0.5, dense: 0.6 },
  computeDefault: 0.5,
  memory: 0.8,
};

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
}

export interface RooflineInput {
  readonly analysis: ModelAnalysis;
  readonly batch: number;
  readonly gpu: GpuSpec;
  readonly elementBytes: 2 | 4;
  readonly profile?: Profile;
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

export function layerTimes(input: RooflineInput): LayerTime[] {
  const { analysis, batch, gpu, elementBytes, profile } = input;
  const tc = usesTensorCores(gpu, elementBytes);
  const base = tc ? TENSOR_CORE_EFFICIENCY : DEFAULT_EFFICIENCY;
  const eff: Efficiency = {
    compute: { ...base.compute, ...(profile?.efficiency?.compute ?? {}) },
    computeDefault: base.computeDefault,
    memory: profile?.efficiency?.memory ?? base.memory,
  };
  const dram = gpu.dramGBs * 1e9 * eff.memory;
  return analysis.layers.map((l) => {
    const kind = l.spec.kind;
    const peak = (tc && MATRIX_KINDS.has(kind) ? gpu.fp16Tflops : gpu.fp32Tflops) * 1e12;
    const flopRate = peak * (eff.compute[kind] ?? eff.computeDefault);
    const bytes = layerBytes(l, batch, elementBytes);
    const pass = (flops: number, b: number): [number, 'compute' | 'memory' | 'none'] => {
      const tc1 = (flops * batch) / flopRate;
      const tm = b / dram;
      if (tc1 === 0 && tm === 0) return [0, 'none'];
      return tc1 >= tm ? [tc1, 'compute'] : [tm, 'memory'];
    };
    let [forward, forwardBound] = pass(l.forwardFlops, bytes.forward) as [
      number,
      LayerTime['forwardBound'],
    ];
    let [backward, backwardBound] = pass(l.backwardFlops, bytes.backward) as [
      number,
      LayerTime['backwardBound'],
    ];
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
    };
  });
}
