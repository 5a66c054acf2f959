/**
 * Measures one activation tensor: density, the exact compressed size under
 * ZVC, RLE and zlib in NCHW, NHWC and CHWN (the compression engine's
 * compressedSize on the tensor transposed to each layout), and the zero-
 * pattern descriptors. The tensor arrives as the device holds it: float32,
 * NHWC ([N, H, W, C], or [N, C] for flat tensors, taken as [N, 1, 1, C]).
 *
 * zlib has to deflate, which is the one expensive part, so it runs on the
 * first `zlibSampleImages` images of the batch (the whole batch when it is
 * smaller), laid out in each layout: the prefix of the NHWC and NCHW streams,
 * and that sub-batch transposed to CHWN. Its ratio is that sample's raw /
 * compressed bytes. (A prefix of each layout's stream would be cheaper, but
 * in CHWN it holds only the first channels, which misjudges tensors whose
 * channels differ: off by up to 74% in tests against whole-batch zlib; the
 * sub-batch stays within a few percent for most tensors.) ZVC's size does
 * not depend on the layout (4*ceil(n/32) + 4*nnz), so it is computed once
 * and reported for all three.
 */
import { compressedSize } from '../codec/size.js';
import { transpose } from '../codec/layout.js';
import {
  channelSpread,
  meanZeroRun,
  zeroBlockFraction,
  zeroPattern,
  zeroPatternWithChannels,
} from './descriptors.js';
import { LAYOUTS as LAYOUT_ORDER, type ByLayout, type RatioTable } from './results.js';

export interface MeasureConfig {
  /** DEFLATE level 0-9. */
  readonly zlibLevel: number;
  /** Images of each batch zlib compresses. */
  readonly zlibSampleImages: number;
  /** RLE codec parameters (field widths), defaults when absent. */
  readonly rleParams?: Readonly<Record<string, number>>;
}

export interface Measurement {
  readonly density: number;
  readonly ratios: RatioTable;
  readonly zeroRunMean: ByLayout<number>;
  readonly zeroBlockFraction: ByLayout<number>;
  readonly channelDensityStd: number;
  readonly deadChannelFraction: number;
}

/** [N, H, W, C] of a batch whose per-sample shape is [C, H, W] or [C]. */
export function nhwcShape(
  batch: number,
  shapeChw: readonly number[],
): [number, number, number, number] {
  if (shapeChw.length === 3) return [batch, shapeChw[1], shapeChw[2], shapeChw[0]];
  if (shapeChw.length === 1) return [batch, 1, 1, shapeChw[0]];
  throw new RangeError(`per-sample shape must be [C, H, W] or [C], got [${shapeChw.join(', ')}]`);
}

/** Reusable scratch buffers; one measurer per recording run (not shared between threads). */
export class TensorMeasurer {
  private nchw: Uint8Array = new Uint8Array(0);
  private chwn: Uint8Array = new Uint8Array(0);
  private sampleChwn: Uint8Array = new Uint8Array(0);
  private counts = new Float64Array(0);

  constructor(readonly config: MeasureConfig) {
    if (!Number.isSafeInteger(config.zlibSampleImages) || config.zlibSampleImages < 1) {
      throw new RangeError(
        `zlib sample must be a positive number of images, got ${config.zlibSampleImages}`,
      );
    }
  }

  private static grow(buf: Uint8Array, n: number): Uint8Array {
    return buf.length >= n ? buf : new Uint8Array(Math.max(n, Math.ceil(buf.length * 1.5)));
  }

  /** Measures `data` (NHWC float32, `batch` images of per-sample shape `shapeChw`). */
  measure(data: Float32Array, batch: number, shapeChw: readonly number[]): Measurement {
    const shape = nhwcShape(batch, shapeChw);
    const [n, h, w, c] = shape;
    const elements = n * h * w * c;
    if (data.length !== elements || elements === 0) {
      throw new RangeError(
        `data has ${data.length} elements, shape [${shape.join(', ')}] needs ${elements}`,
      );
    }
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const rawBytes = bytes.length;
    this.nchw = TensorMeasurer.grow(this.nchw, rawBytes);
    this.chwn = TensorMeasurer.grow(this.chwn, rawBytes);
    const buffers: ByLayout<Uint8Array> = {
      nhwc: bytes,
      nchw: transpose(bytes, 4, shape, 'nhwc', 'nchw', this.nchw),
      chwn: transpose(bytes, 4, shape, 'nhwc', 'chwn', this.chwn),
    };

    const zvc = rawBytes / compressedSize(bytes, { codec: 'zvc', dtype: 'float32' });
    const rle = {} as ByLayout<number>;
    const zeroRun = {} as ByLayout<number>;
    const zeroBlocks = {} as ByLayout<number>;
    let nonzeros = 0;
    if (this.counts.length !== c) this.counts = new Float64Array(c);
    else this.counts.fill(0);
    for (const layout of LAYOUT_ORDER) {
      const b = buffers[layout];
      const words = new Uint32Array(b.buffer, b.byteOffset, elements);
      // The NHWC pass also counts each channel's non-zeros.
      const p =
        layout === 'nhwc' ? zeroPatternWithChannels(words, c, this.counts) : zeroPattern(words);
      nonzeros = p.nonzeros;
      zeroRun[layout] = meanZeroRun(p);
      zeroBlocks[layout] = zeroBlockFraction(p);
      rle[layout] =
        rawBytes /
        compressedSize(b, { codec: 'rle', dtype: 'float32', params: this.config.rleParams });
    }

    const zlib = this.zlibRatios(buffers, shape);

    const spread = channelSpread(this.counts, n * h * w);
    return {
      density: nonzeros / elements,
      ratios: { zvc: { nchw: zvc, nhwc: zvc, chwn: zvc }, rle, zlib },
      zeroRunMean: zeroRun,
      zeroBlockFraction: zeroBlocks,
      channelDensityStd: spread.std,
      deadChannelFraction: spread.deadFraction,
    };
  }

  /** zlib ratio per layout on the first images of the batch. */
  private zlibRatios(buffers: ByLayout<Uint8Array>, shape: readonly number[]): ByLayout<number> {
    const [n, h, w, c] = shape;
    const s = Math.min(n, this.config.zlibSampleImages);
    const sampleBytes = s * h * w * c * 4;
    let chwn = buffers.chwn;
    if (s < n) {
      // N is the outermost axis of NHWC and NCHW, so their first s images are a prefix; CHWN interleaves them.
      this.sampleChwn = TensorMeasurer.grow(this.sampleChwn, sampleBytes);
      chwn = transpose(
        buffers.nhwc.subarray(0, sampleBytes),
        4,
        [s, h, w, c],
        'nhwc',
        'chwn',
        this.sampleChwn,
      );
    }
    const sample: ByLayout<Uint8Array> = {
      nchw: buffers.nchw.subarray(0, sampleBytes),
      nhwc: buffers.nhwc.subarray(0, sampleBytes),
      chwn: chwn.subarray(0, sampleBytes),
    };
    const params = { level: this.config.zlibLevel };
    const out = {} as ByLayout<number>;
    for (const layout of LAYOUT_ORDER) {
      out[layout] =
        sampleBytes / compressedSize(sample[layout], { codec: 'zlib', dtype: 'float32', params });
    }
    return out;
  }
}
