/**
 * The DMA engine that moves offloaded tensors, with or without cDMA's
 * compression. Its uncompressed-byte rate is the smallest of:
 * - link: link bandwidth x ratio (the link carries compressed bytes);
 * - dram: what DRAM has left beside the computation's own traffic (the engine
 *   reads offloads from / writes prefetches to DRAM uncompressed);
 * - compressor: throughput per unit x units;
 * - crossbar: at the DMA engine the crossbar port into it carries the
 *   uncompressed bytes; at the memory controllers it carries compressed bytes.
 * The model reports which of these binds.
 */
import { InvalidArgumentError } from '../errors.js';
import type { GpuSpec } from './gpus.js';
import type { LinkSpec } from './links.js';

export type Placement = 'dma' | 'mc';
export type Limit = 'link' | 'dram' | 'compressor' | 'crossbar';
export const LIMITS: readonly Limit[] = ['link', 'dram', 'compressor', 'crossbar'];

export interface EngineSpec {
  readonly placement: Placement;
  /** Bytes per second one (de)compressor unit handles (uncompressed side). */
  readonly unitBytesPerSec: number;
  readonly units: number;
  /** Bytes per second of the crossbar port into the DMA engine. */
  readonly crossbarPortBytesPerSec: number;
  /** Link bytes per second (effective, one direction). */
  readonly linkBytesPerSec: number;
  /** Peak DRAM bytes per second. */
  readonly dramBytesPerSec: number;
}

/** Assumed datapath width of a compressor unit: one 32-byte DRAM sector per clock. */
export const SECTOR_BYTES_PER_CLOCK = 32;

export interface EngineOptions {
  readonly placement?: Placement;
  /** Units; default one per memory partition. */
  readonly units?: number;
  /** GB/s per unit; default 32 B x core clock. */
  readonly unitGBs?: number;
  /** GB/s of the crossbar port into the DMA engine; default the link's peak (a port sized for its link). */
  readonly crossbarGBs?: number;
}

export function engineFor(gpu: GpuSpec, link: LinkSpec, o: EngineOptions = {}): EngineSpec {
  const clockBytes = SECTOR_BYTES_PER_CLOCK * gpu.clockGHz * 1e9;
  const pos = (v: number | undefined, what: string): number | undefined => {
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) {
      throw new InvalidArgumentError(`${what} must be a positive number, got ${v}`);
    }
    return v;
  };
  const units = pos(o.units, 'engine units') ?? gpu.memoryPartitions;
  if (!Number.isInteger(units))
    throw new InvalidArgumentError(`engine units must be an integer, got ${units}`);
  return {
    placement: o.placement ?? 'mc',
    unitBytesPerSec: (pos(o.unitGBs, 'unit throughput') ?? clockBytes / 1e9) * 1e9,
    units,
    crossbarPortBytesPerSec: (pos(o.crossbarGBs, 'crossbar port bandwidth') ?? link.peakGBs) * 1e9,
    linkBytesPerSec: link.effectiveGBs * 1e9,
    dramBytesPerSec: gpu.dramGBs * 1e9,
  };
}

export interface Rate {
  /** Uncompressed bytes per second. */
  readonly bytesPerSec: number;
  readonly limit: Limit;
}

/**
 * Rate at which a tensor of compression ratio `ratio` moves while the
 * computation uses `computeDramBytesPerSec` of DRAM. `compress` false models
 * plain vDNN (no compressor in the path, the link carries raw bytes).
 */
export function transferRate(
  e: EngineSpec,
  ratio: number,
  computeDramBytesPerSec: number,
  compress: boolean,
): Rate {
  const r = compress ? ratio : 1;
  const candidates: [number, Limit][] = [
    [e.linkBytesPerSec * r, 'link'],
    [Math.max(e.dramBytesPerSec - computeDramBytesPerSec, 0), 'dram'],
  ];
  if (compress) {
    candidates.push([e.unitBytesPerSec * e.units, 'compressor']);
    // At the DMA engine the port carries raw bytes; at the memory controllers, compressed ones.
    candidates.push([
      e.placement === 'dma' ? e.crossbarPortBytesPerSec : e.crossbarPortBytesPerSec * r,
      'crossbar',
    ]);
  } else {
    candidates.push([e.crossbarPortBytesPerSec, 'crossbar']);
  }
  let best = candidates[0];
  for (const c of candidates) if (c[0] < best[0]) best = c;
  return { bytesPerSec: best[0], limit: best[1] };
}
