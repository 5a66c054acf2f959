/**
 * Host <-> GPU link presets, the one table of cdma: the performance model
 * uses it and the memory manager's --link (src/memory/link.ts) reads its
 * effective rates and latencies. Rates are per direction: vDNN offloads only
 * in the forward pass and prefetches only in the backward pass, so one
 * direction is busy at a time. `effectiveGBs` is what a DMA of large buffers
 * achieves.
 */
import { InvalidArgumentError } from '../errors.js';

export interface LinkSpec {
  readonly id: string;
  readonly name: string;
  /** Peak per direction, GB/s (1e9 bytes/s). */
  readonly peakGBs: number;
  /** Achieved per direction for large DMA transfers, GB/s. */
  readonly effectiveGBs: number;
  /** Seconds added to every transfer (DMA set-up), as the memory manager's link model enforces it. */
  readonly latencySeconds: number;
  readonly source: string;
}

/** vDNN measured 12.8 GB/s on a 16 GB/s PCIe gen3 x16 link: 80% of peak. */
export const PCIE_EFFICIENCY = 12.8 / 16;
/** Assumed for NVLink-class links (no paper measurement used here). */
export const NVLINK_EFFICIENCY = 0.9;
/** Assumed per-transfer latencies: a PCIe DMA set-up, and half of it on NVLink. */
export const PCIE_LATENCY_SECONDS = 10e-6;
export const NVLINK_LATENCY_SECONDS = 5e-6;

const PRESETS: readonly LinkSpec[] = [
  {
    id: 'pcie3',
    name: 'PCIe gen3 x16',
    peakGBs: 16,
    effectiveGBs: 12.8,
    latencySeconds: PCIE_LATENCY_SECONDS,
    source: 'vDNN (arXiv 1602.08124): 16 GB/s peak, 12.8 GB/s measured on the Titan X system.',
  },
  {
    id: 'pcie4',
    name: 'PCIe gen4 x16',
    peakGBs: 32,
    effectiveGBs: 32 * PCIE_EFFICIENCY,
    latencySeconds: PCIE_LATENCY_SECONDS,
    source: 'PCI-SIG gen4: 16 GT/s x16 = 31.5 GB/s (rounded 32); effective assumes vDNN’s 80%.',
  },
  {
    id: 'pcie5',
    name: 'PCIe gen5 x16',
    peakGBs: 64,
    effectiveGBs: 64 * PCIE_EFFICIENCY,
    latencySeconds: PCIE_LATENCY_SECONDS,
    source:
      'PCI-SIG gen5: 32 GT/s x16 = 63 GB/s (rounded 64; NVIDIA quotes 128 GB/s both ways for H100); ' +
      'effective assumes vDNN’s 80%.',
  },
  {
    id: 'nvlink1',
    name: 'NVLink 1 (P100, 4 links x 20 GB/s)',
    peakGBs: 80,
    effectiveGBs: 80 * NVLINK_EFFICIENCY,
    latencySeconds: NVLINK_LATENCY_SECONDS,
    source:
      'Pascal P100 whitepaper: 4 links x 20 GB/s per direction. Host-attached only with IBM POWER8; ' +
      'effective assumes 90%.',
  },
  {
    id: 'nvlink2',
    name: 'NVLink 2 (V100, 6 links x 25 GB/s)',
    peakGBs: 150,
    effectiveGBs: 150 * NVLINK_EFFICIENCY,
    latencySeconds: NVLINK_LATENCY_SECONDS,
    source:
      'Volta V100 whitepaper: 6 links x 25 GB/s per direction (300 GB/s total). Host-attached only with ' +
      'IBM POWER9; effective assumes 90%.',
  },
  {
    id: 'nvlink3',
    name: 'NVLink 3 (A100, 12 links x 25 GB/s)',
    peakGBs: 300,
    effectiveGBs: 300 * NVLINK_EFFICIENCY,
    latencySeconds: NVLINK_LATENCY_SECONDS,
    source:
      'Ampere A100 whitepaper: 600 GB/s total = 300 GB/s per direction; effective assumes 90%.',
  },
  {
    id: 'nvlink4',
    name: 'NVLink 4 (H100, 18 links x 25 GB/s)',
    peakGBs: 450,
    effectiveGBs: 450 * NVLINK_EFFICIENCY,
    latencySeconds: NVLINK_LATENCY_SECONDS,
    source:
      'Hopper H100 whitepaper: 900 GB/s total = 450 GB/s per direction; effective assumes 90%.',
  },
  {
    id: 'nvlink-c2c',
    name: 'NVLink-C2C (Grace Hopper CPU-GPU)',
    peakGBs: 450,
    effectiveGBs: 450 * NVLINK_EFFICIENCY,
    latencySeconds: NVLINK_LATENCY_SECONDS,
    source:
      'NVIDIA Grace Hopper superchip whitepaper: 900 GB/s total CPU<->GPU = 450 GB/s per direction; ' +
      'effective assumes 90%.',
  },
];

/** Other names a preset answers to: `nvlink` is NVLink 1, the host-attached NVLink of vDNN's era. */
export const LINK_ALIASES: Readonly<Record<string, string>> = { nvlink: 'nvlink1' };

export function listLinks(): readonly LinkSpec[] {
  return PRESETS;
}

/** The preset `id` (or an alias of it), case-insensitively, or undefined. */
export function findLink(id: string): LinkSpec | undefined {
  const key = id.trim().toLowerCase();
  const canonical = LINK_ALIASES[key] ?? key;
  return PRESETS.find((p) => p.id === canonical);
}

export function getLink(id: string): LinkSpec {
  const l = findLink(id);
  if (!l) {
    throw new InvalidArgumentError(
      `unknown link '${id}'; choose one of ${PRESETS.map((p) => p.id).join(', ')} (nvlink = nvlink1)`,
    );
  }
  return l;
}
