/**
 * Compression ratios (raw bytes / compressed bytes) of offloaded tensors, per
 * codec, from a density. ZVC is exact (DESIGN.md section 2); RLE uses a
 * stated i.i.d. model; zlib has no closed form in density and needs measured
 * ratios (a study results.json or a table, see ratio-files.ts).
 */
import { DTYPE_BYTES, type BuiltinCodecId, type DType } from '../codec/codec.js';
import { InvalidArgumentError } from '../errors.js';

/** How the simulator gets each built-in codec's ratio (the codec ids and dtypes are src/codec's). */
const RATIO_MODELS: Readonly<Record<BuiltinCodecId, string>> = {
  none: 'ratio 1',
  zvc: 'exact from the density',
  rle: 'i.i.d. model from the density',
  zlib: 'measured ratios only',
};
/** The codecs the simulator models: cdma's built-in ones. */
export const SIM_CODECS = Object.keys(RATIO_MODELS) as readonly BuiltinCodecId[];
/** Activation element types: the codec's dtypes. */
export const SIM_DTYPES = Object.keys(DTYPE_BYTES) as readonly DType[];

/** Bytes of one zero-run token in the RLE model (a 16-bit run length). */
export const RLE_RUN_TOKEN_BYTES = 2;

function checkDensity(d: number): void {
  if (!(Number.isFinite(d) && d >= 0 && d <= 1)) {
    throw new InvalidArgumentError(`density must be a number in [0, 1], got ${d}`);
  }
}

/** Exact ZVC size of n elements with nnz non-zeros: a 4-byte mask per 32 elements plus the non-zeros. */
export function zvcBytes(n: number, nnz: number, elementBytes: 2 | 4): number {
  return 4 * Math.ceil(n / 32) + elementBytes * nnz;
}

/** ZVC ratio of a tensor of n elements at density d (nnz = round(d n)). */
export function zvcRatio(n: number, density: number, elementBytes: 2 | 4): number {
  checkDensity(density);
  if (!(Number.isSafeInteger(n) && n > 0)) {
    throw new InvalidArgumentError(`element count must be a positive integer, got ${n}`);
  }
  return (n * elementBytes) / zvcBytes(n, Math.round(density * n), elementBytes);
}

/** ZVC ratio in the large-n limit: 32E / (4 + 32 E d); 32/(1+32d) for fp32, 16/(1+16d) for 16-bit. */
export function zvcRatioLimit(density: number, elementBytes: 2 | 4): number {
  checkDensity(density);
  return (32 * elementBytes) / (4 + 32 * elementBytes * density);
}

/**
 * RLE model: every non-zero is a literal of E bytes and every maximal run of
 * zeros costs one token of T bytes. With zero positions independent (i.i.d.
 * Bernoulli), a run starts at a zero that follows a non-zero, so there are
 * about n d (1-d) runs, plus one when the tensor is all zeros. Real
 * activations cluster their zeros (fewer, longer runs), so this is a
 * pessimistic estimate for RLE; measured ratios (--study) replace it.
 */
export function rleRatio(
  density: number,
  elementBytes: 2 | 4,
  runTokenBytes = RLE_RUN_TOKEN_BYTES,
): number {
  checkDensity(density);
  const perElement = elementBytes * density + runTokenBytes * density * (1 - density);
  // An all-zero tensor is one run per 65535 zeros (16-bit run length).
  const floor = runTokenBytes / 65535;
  return elementBytes / Math.max(perElement, floor);
}

/**
 * Ratio of `codec` at density `d` for a tensor of n elements. zlib throws:
 * it has no closed form in density (pass measured ratios instead).
 */
export function ratioFromDensity(
  codec: BuiltinCodecId,
  density: number,
  n: number,
  elementBytes: 2 | 4,
): number {
  switch (codec) {
    case 'none':
      checkDensity(density);
      return 1;
    case 'zvc':
      return zvcRatio(n, density, elementBytes);
    case 'rle':
      return rleRatio(density, elementBytes);
    case 'zlib':
      throw new InvalidArgumentError(
        'zlib ratios have no model in terms of density; pass measured ratios with --study FILE or --ratios FILE',
      );
  }
}
