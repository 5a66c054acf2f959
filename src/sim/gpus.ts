/**
 * GPU presets for the performance model. Every number carries its source in
 * `source`; docs/SIMULATOR.md repeats them. Rates are peak (datasheet) rates:
 * the roofline (roofline.ts) applies per-layer-kind efficiencies on top.
 */
import { InvalidArgumentError } from '../errors.js';

export interface GpuSpec {
  readonly id: string;
  readonly name: string;
  /** Peak fp32 FLOP/s of the CUDA cores (FMA = 2 FLOPs), in TFLOP/s. */
  readonly fp32Tflops: number;
  /**
   * Peak FLOP/s for 16-bit (fp16/bf16) training math, TFLOP/s: dense tensor
   * cores where the GPU has them, otherwise the rate at which the GPU runs
   * 16-bit-storage / fp32-math kernels (= fp32Tflops).
   */
  readonly fp16Tflops: number;
  /** Peak DRAM bandwidth, GB/s (1 GB = 1e9 bytes). */
  readonly dramGBs: number;
  /** Device memory capacity in bytes. */
  readonly memoryBytes: number;
  /** Memory partitions (memory controllers): the cDMA engine's units when placed there. */
  readonly memoryPartitions: number;
  /** Core (boost) clock in GHz: sets a compressor unit's bytes per second. */
  readonly clockGHz: number;
  /** Host link the card ships with (links.ts id). */
  readonly defaultLink: string;
  readonly source: string;
}

const GiB = 1024 ** 3;

const PRESETS: readonly GpuSpec[] = [
  {
    id: 'titanx',
    name: 'GeForce GTX Titan X (Maxwell GM200)',
    fp32Tflops: 7.0,
    fp16Tflops: 7.0,
    dramGBs: 336.5,
    memoryBytes: 12 * GiB,
    memoryPartitions: 6,
    clockGHz: 1.075,
    defaultLink: 'pcie3',
    source:
      'vDNN (arXiv 1602.08124) uses this card and quotes 7 TFLOPS fp32 and 12 GB; NVIDIA launch specs: ' +
      '3072 CUDA cores, 1000/1075 MHz base/boost, 12288 MB GDDR5 on a 384-bit bus at 7 Gbps = 336.5 GB/s ' +
      '(six 64-bit memory controllers). No fast fp16 math on Maxwell GM200, so fp16 = fp32 rate.',
  },
  {
    id: 'titanxp',
    name: 'NVIDIA Titan Xp (Pascal GP102)',
    fp32Tflops: 12.1,
    fp16Tflops: 12.1,
    dramGBs: 547.7,
    memoryBytes: 12 * GiB,
    memoryPartitions: 12,
    clockGHz: 1.582,
    defaultLink: 'pcie3',
    source:
      'cDMA HPCA 2018 version evaluates on this card. NVIDIA launch specs: 3840 CUDA cores, 1582 MHz boost, ' +
      '12.1 TFLOPS fp32, 12 GB GDDR5X at 11.4 Gbps on 384 bits = 547.7 GB/s (twelve 32-bit controllers). ' +
      'GP102 runs fp16 math at 1/64 rate, so 16-bit activations use fp32 math: fp16 = fp32 rate.',
  },
  {
    id: 'v100',
    name: 'NVIDIA Tesla V100 SXM2 32 GB (Volta GV100)',
    fp32Tflops: 15.7,
    fp16Tflops: 125,
    dramGBs: 900,
    memoryBytes: 32 * GiB,
    memoryPartitions: 8,
    clockGHz: 1.53,
    defaultLink: 'pcie3',
    source:
      'NVIDIA Tesla V100 datasheet / Volta architecture whitepaper: 15.7 TFLOPS fp32, 125 TFLOPS fp16 tensor, ' +
      '900 GB/s HBM2 (4 stacks, eight 512-bit memory controllers), 1530 MHz boost, 16 or 32 GB.',
  },
  {
    id: 'a100',
    name: 'NVIDIA A100 SXM4 80 GB (Ampere GA100)',
    fp32Tflops: 19.5,
    fp16Tflops: 312,
    dramGBs: 2039,
    memoryBytes: 80 * GiB,
    memoryPartitions: 10,
    clockGHz: 1.41,
    defaultLink: 'pcie4',
    source:
      'NVIDIA A100 datasheet / Ampere architecture whitepaper: 19.5 TFLOPS fp32, 312 TFLOPS fp16/bf16 dense ' +
      'tensor, 2039 GB/s HBM2e (80 GB SXM4), 1410 MHz boost, five active HBM stacks = ten 512-bit controllers.',
  },
  {
    id: 'h100-pcie',
    name: 'NVIDIA H100 PCIe 80 GB (Hopper GH100)',
    fp32Tflops: 51.2,
    fp16Tflops: 756,
    dramGBs: 2000,
    memoryBytes: 80 * GiB,
    memoryPartitions: 10,
    clockGHz: 1.755,
    defaultLink: 'pcie5',
    source:
      'NVIDIA H100 datasheet and H100 PCIe product brief (PB-11133-001): 51 TFLOPS fp32, 756 TFLOPS fp16/bf16 ' +
      'dense tensor, 80 GB HBM2e at >2000 GB/s, PCIe gen5 x16; five HBM stacks = ten 512-bit controllers.',
  },
  {
    id: 'h100-sxm',
    name: 'NVIDIA H100 SXM5 80 GB (Hopper GH100)',
    fp32Tflops: 66.9,
    fp16Tflops: 989.4,
    dramGBs: 3350,
    memoryBytes: 80 * GiB,
    memoryPartitions: 10,
    clockGHz: 1.98,
    defaultLink: 'pcie5',
    source:
      'NVIDIA H100 datasheet / Hopper architecture whitepaper: 66.9 TFLOPS fp32, 989.4 TFLOPS fp16/bf16 dense ' +
      'tensor, 80 GB HBM3 at 3.35 TB/s (ten 512-bit controllers), 1.98 GHz boost, NVLink 4 (900 GB/s ' +
      'total), PCIe gen5 x16; Grace Hopper pairs it with NVLink-C2C.',
  },
];

export function listGpus(): readonly GpuSpec[] {
  return PRESETS;
}

export function getGpu(id: string): GpuSpec {
  const g = PRESETS.find((p) => p.id === id);
  if (!g) {
    throw new InvalidArgumentError(
      `unknown GPU '${id}'; choose one of ${PRESETS.map((p) => p.id).join(', ')}`,
    );
  }
  return g;
}
