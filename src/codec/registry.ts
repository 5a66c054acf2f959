/**
 * The codec registry: codecs by id, their parameters (names, defaults,
 * ranges) and validation. getCodec returns a Codec whose `params` hold every
 * parameter, defaults filled in, as the container records them.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Codec, CodecId, CodecParams } from './codec.js';
import { createNoneCodec } from './none.js';
import { RLE_DEFAULTS, createRleCodec } from './rle.js';
import { ZLIB_DEFAULT_LEVEL, createZlibCodec } from './zlib.js';
import { createZvcCodec, type ZvcImplChoice } from './zvc.js';

/** Every codec id, in the order tables list them. */
export const CODEC_IDS: readonly CodecId[] = ['zvc', 'rle', 'zlib', 'none'];

export interface ParamSpec {
  readonly name: string;
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly description: string;
}

export const CODEC_PARAMS: Readonly<Record<CodecId, readonly ParamSpec[]>> = {
  none: [],
  zvc: [],
  rle: [
    {
      name: 'runBits',
      default: RLE_DEFAULTS.runBits,
      min: 1,
      max: 31,
      description: 'bits of the zero-run field (runs up to 2^runBits - 1 words)',
    },
    {
      name: 'litBits',
      default: RLE_DEFAULTS.litBits,
      min: 1,
      max: 31,
      description: 'bits of the literal-count field; runBits + litBits = 8, 16, 24 or 32',
    },
  ],
  zlib: [
    {
      name: 'level',
      default: ZLIB_DEFAULT_LEVEL,
      min: 0,
      max: 9,
      description: 'DEFLATE level, 0 (store) to 9 (smallest)',
    },
  ],
};

/** One-line descriptions, for help texts. */
export const CODEC_DESCRIPTIONS: Readonly<Record<CodecId, string>> = {
  zvc: 'zero-value compression: 32-element blocks, a bit mask and the non-zeros',
  rle: 'run-length coding of zero words between literal words',
  zlib: 'DEFLATE (node:zlib)',
  none: 'no compression',
};

export interface GetCodecOptions {
  /** zvc implementation: 'auto' (default; or CDMA_ZVC_IMPL), 'wasm' or 'ts'. */
  readonly zvcImpl?: ZvcImplChoice;
}

/** Throws InvalidArgumentError unless `id` names a codec. */
export function checkCodecId(id: string): asserts id is CodecId {
  if (!(CODEC_IDS as readonly string[]).includes(id))
    throw new InvalidArgumentError(`unknown codec '${id}'; use ${CODEC_IDS.join(', ')}`);
}

/** `params` checked against the codec's specs, defaults filled in. */
export function resolveParams(id: CodecId, params: CodecParams = {}): Record<string, number> {
  const specs = CODEC_PARAMS[id];
  for (const name of Object.keys(params)) {
    if (!specs.some((s) => s.name === name))
      throw new InvalidArgumentError(
        specs.length === 0
          ? `codec ${id} takes no parameters, got '${name}'`
          : `unknown parameter '${name}' for codec ${id}; known: ${specs.map((s) => s.name).join(', ')}`,
      );
  }
  const out: Record<string, number> = {};
  for (const s of specs) {
    const v = params[s.name] ?? s.default;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < s.min || v > s.max)
      throw new InvalidArgumentError(
        `${id} parameter ${s.name} must be an integer from ${s.min} to ${s.max}, not ${String(v)}`,
      );
    out[s.name] = v;
  }
  return out;
}

/** The codec `id` with `params` (validated; defaults for the rest). */
export function getCodec(
  id: string,
  params: CodecParams = {},
  options: GetCodecOptions = {},
): Codec {
  checkCodecId(id);
  const p = resolveParams(id, params);
  switch (id) {
    case 'none':
      return createNoneCodec();
    case 'zvc':
      return createZvcCodec(options.zvcImpl);
    case 'rle':
      return createRleCodec({ runBits: p.runBits, litBits: p.litBits });
    case 'zlib':
      return createZlibCodec(p.level);
  }
}

/** Parses 'name=value,name=value' (CLI syntax) into codec params. */
export function parseParams(text: string): CodecParams {
  const out: Record<string, number> = {};
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(-?\d+)$/.exec(part);
    if (!m) throw new InvalidArgumentError(`codec parameter '${part}' is not name=integer`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}
