/**
 * Convolution algorithms as cuDNN offers them, each with the arithmetic it
 * performs, the DRAM traffic it adds and the workspace it needs, for the
 * three passes of a convolution layer (forward, backward data, backward
 * filter). vDNN (arXiv 1602.08124, section III) runs every layer either with
 * its memory-optimal algorithm (implicit GEMM, no workspace) or with its
 * performance-optimal one (the fastest, whatever workspace it takes); this
 * file says what each costs, roofline.ts turns costs into time and picks.
 *
 * Algorithms (cuDNN user guides v4 and v5, cudnnConvolutionFwdAlgo_t and the
 * backward equivalents):
 * - implicit-gemm: IMPLICIT_GEMM / BWD_*_ALGO_0: the convolution as a matrix
 *   product whose operand tiles are gathered on the fly; no workspace. It is
 *   what cuDNN returns for "no workspace" and what vDNN calls memory-optimal.
 * - gemm: IMPLICIT_PRECOMP_GEMM / BWD_*_ALGO_1: the same product with a
 *   precomputed table of input offsets (one 4-byte index per filter tap and
 *   input channel) and the library's tuned matrix kernels.
 * - fft: FFT (stride 1, padded input at most 256x256 in cuDNN 4): every input,
 *   filter and output plane transformed at the padded size, the convolution
 *   becomes a complex product per frequency; all spectra in the workspace.
 * - fft-tiling: FFT_TILING (cuDNN 4): the same on 32x32 tiles of the input,
 *   so the spectra of large images fit a smaller workspace.
 * - winograd: WINOGRAD (cuDNN 5 and later; 3x3, stride 1): the minimal
 *   filtering algorithm F(2x2, 3x3) of Lavin and Gray (CVPR 2016), 16
 *   multiplications per 2x2 output tile instead of 36 (2.25x fewer), fused,
 *   without workspace.
 */
import type { LayerAnalysis } from '../nn/shapes.js';

export type ConvAlgo = 'implicit-gemm' | 'gemm' | 'fft' | 'fft-tiling' | 'winograd';
export const CONV_ALGOS: readonly ConvAlgo[] = [
  'implicit-gemm',
  'gemm',
  'fft',
  'fft-tiling',
  'winograd',
];

/** vDNN's two configurations: memory-optimal (m) or performance-optimal (p) convolutions. */
export type AlgoChoice = 'memory' | 'performance';
export const ALGO_CHOICES: readonly AlgoChoice[] = ['memory', 'performance'];

export type ConvPass = 'forward' | 'backwardData' | 'backwardFilter';

/** A cuDNN generation: which algorithms its performance-optimal choice can pick from. */
export interface ConvLibrary {
  readonly id: 'cudnn4' | 'cudnn5';
  readonly name: string;
  readonly algorithms: readonly ConvAlgo[];
  readonly source: string;
}

export const CONV_LIBRARIES: readonly ConvLibrary[] = [
  {
    id: 'cudnn4',
    name: 'cuDNN 4',
    algorithms: ['implicit-gemm', 'gemm', 'fft', 'fft-tiling'],
    source:
      'cuDNN v4 user guide (2016): IMPLICIT_GEMM, IMPLICIT_PRECOMP_GEMM, GEMM, FFT, FFT_TILING; ' +
      'the library vDNN ran (arXiv 1602.08124, section V)',
  },
  {
    id: 'cudnn5',
    name: 'cuDNN 5',
    algorithms: ['implicit-gemm', 'gemm', 'fft', 'fft-tiling', 'winograd'],
    source:
      'cuDNN v5 release notes (April 2016): adds WINOGRAD for 3x3 stride-1 convolutions; ' +
      'the cDMA evaluations (2017) postdate it',
  },
];

export function getConvLibrary(id: string): ConvLibrary {
  const l = CONV_LIBRARIES.find((x) => x.id === id);
  if (!l) throw new Error(`unknown convolution library '${id}'`);
  return l;
}

/** Per-group geometry of one convolution layer at a batch. */
export interface ConvGeometry {
  readonly n: number;
  readonly groups: number;
  /** Input and output channels per group. */
  readonly c: number;
  readonly k: number;
  readonly h: number;
  readonly w: number;
  readonly r: number;
  readonly s: number;
  readonly p: number;
  readonly q: number;
  readonly strideH: number;
  readonly strideW: number;
  /** Total padding per dimension (top + bottom, left + right). */
  readonly padH: number;
  readonly padW: number;
  /** Taps spread apart: only the GEMM algorithms run dilated convolutions. */
  readonly dilated?: boolean;
}

export function convGeometry(l: LayerAnalysis, batch: number): ConvGeometry | null {
  const spec = l.spec;
  if (spec.kind !== 'conv2d') return null;
  const [cin, h, w] = l.inputShapes[0];
  const [kout, p, q] = l.outputShape;
  return {
    n: batch,
    groups: spec.groups,
    c: cin / spec.groups,
    k: kout / spec.groups,
    h,
    w,
    r: spec.kernel[0],
    s: spec.kernel[1],
    p,
    q,
    strideH: spec.stride[0],
    strideW: spec.stride[1],
    padH: spec.pad[0] + spec.pad[1],
    padW: spec.pad[2] + spec.pad[3],
    dilated: (spec.dilation ?? [1, 1]).some((d) => d > 1),
  };
}

export interface AlgoCost {
  readonly algo: ConvAlgo;
  /** Floating-point operations the algorithm performs (a multiply-add counts 2). */
  readonly flops: number;
  /** DRAM bytes it moves besides the pass's own operands (spectra written and read back). */
  readonly extraBytes: number;
  readonly workspaceBytes: number;
}

/** Bytes of one complex fp32 frequency bin. */
const COMPLEX_BYTES = 8;
/** FLOPs of one complex multiply-add: 4 real multiplications and 4 additions. */
const COMPLEX_MAC_FLOPS = 8;
/** Real-input 2D FFT of m points: about 2.5 m log2(m) FLOPs (half of a complex FFT's 5 m log2 m). */
const fftFlops = (points: number) => 2.5 * points * Math.log2(points);
/** FFT sizes are powers of two (cuFFT's fastest radix). */
const pow2 = (x: number) => 2 ** Math.ceil(Math.log2(Math.max(2, x)));
/** cuDNN 4's FFT algorithm limit on the padded input size (user guide, FWD_ALGO_FFT). */
export const FFT_MAX_SIZE = 256;
/** FFT_TILING's tile edge (cuDNN 4 user guide: 32x32 tiles). */
export const FFT_TILE = 32;
/**
 * DRAM transfers of each spectrum per pass: a 2D transform runs as a row pass
 * and a column pass that each read and write the complex array, and the
 * per-frequency product reads its operands and writes its result. 8 is the
 * count fitted with the tuned GEMM rate to cuDNN 4's measured times on a
 * Titan X (roofline.ts, DEFAULT_EFFICIENCY); 2 (one write, one read) makes
 * AlexNet and VGG-A 20-35% faster than measured.
 */
export const SPECTRUM_TRANSFERS = 8;
/** Winograd F(2x2, 3x3): 36 multiplications of direct convolution per 2x2 tile against 16. */
export const WINOGRAD_REDUCTION = 36 / 16;

/** Direct-convolution FLOPs of one pass (2 per multiply-add, bias ignored; taps, not the dilated span). */
export function directFlops(g: ConvGeometry): number {
  return 2 * g.n * g.groups * g.k * g.c * g.r * g.s * g.p * g.q;
}

/**
 * The algorithms among `allowed` that can run a pass of this convolution,
 * with their costs (the three passes multiply the same shapes, so the costs
 * are the same for each; spectra are fp32 complex whatever the activations).
 */
export function convAlgoCosts(g: ConvGeometry, allowed: readonly ConvAlgo[]): AlgoCost[] {
  const out: AlgoCost[] = [];
  const direct = directFlops(g);
  const stride1 = g.strideH === 1 && g.strideW === 1 && g.dilated !== true;
  const planes = (tiles: number) => ({
    input: g.n * g.c * g.groups * tiles,
    filter: g.k * g.c * g.groups,
    output: g.n * g.k * g.groups * tiles,
  });
  const fft = (algo: ConvAlgo, nh: number, nw: number, tiles: number): AlgoCost => {
    const bins = nh * (nw / 2 + 1);
    const pl = planes(tiles);
    const allPlanes = pl.input + pl.filter + pl.output;
    const spectra = allPlanes * bins * COMPLEX_BYTES;
    const pointwise = COMPLEX_MAC_FLOPS * g.n * g.groups * g.k * g.c * tiles * bins;
    return {
      algo,
      flops: pointwise + allPlanes * fftFlops(nh * nw),
      extraBytes: SPECTRUM_TRANSFERS * spectra,
      workspaceBytes: spectra,
    };
  };
  for (const algo of allowed) {
    if (algo === 'implicit-gemm') {
      out.push({ algo, flops: direct, extraBytes: 0, workspaceBytes: 0 });
    } else if (algo === 'gemm') {
      out.push({
        algo,
        flops: direct,
        extraBytes: 0,
        workspaceBytes: g.c * g.groups * g.r * g.s * 4,
      });
    } else if (algo === 'fft') {
      const nh = pow2(g.h + g.padH);
      const nw = pow2(g.w + g.padW);
      if (stride1 && g.h + g.padH <= FFT_MAX_SIZE && g.w + g.padW <= FFT_MAX_SIZE)
        out.push(fft(algo, nh, nw, 1));
    } else if (algo === 'fft-tiling') {
      if (stride1 && g.r < FFT_TILE && g.s < FFT_TILE) {
        const tiles = Math.ceil(g.p / (FFT_TILE - g.r + 1)) * Math.ceil(g.q / (FFT_TILE - g.s + 1));
        out.push(fft(algo, FFT_TILE, FFT_TILE, tiles));
      }
    } else if (algo === 'winograd') {
      if (stride1 && g.r === 3 && g.s === 3)
        out.push({ algo, flops: direct / WINOGRAD_REDUCTION, extraBytes: 0, workspaceBytes: 0 });
    }
  }
  return out;
}
