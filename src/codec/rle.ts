/**
 * The `rle` codec: run-length coding of zero words between literal non-zero
 * words, on 4- or 2-byte words. Field widths are parameters (docs/CODECS.md):
 *
 *   stream = token*
 *   token  = header (H bytes, little-endian) | l literal words (eb bytes each)
 *   header = z + l * 2^runBits, with z < 2^runBits, l < 2^litBits,
 *            H = (runBits + litBits) / 8
 *
 * A token stands for z zero words followed by its l literal words. The
 * encoder is greedy: a token takes as many zeros as fit (up to 2^runBits - 1),
 * then as many non-zero words as fit (up to 2^litBits - 1). A token with
 * z = l = 0 is invalid. The decoder trusts nothing: every token must fit the
 * input and the expected output, and the stream must end exactly at both ends.
 */
import { CorruptDataError, InvalidArgumentError } from '../errors.js';
import { alignedBytes, checkElements, words16, words32, type ElementBytes } from './bytes.js';
import type { CodecDescriptor, CodecOps, CodecParams, PayloadField } from './codec.js';
import { describeElement } from './describe.js';

export interface RleParams {
  /** Bits of the zero-run field. */
  readonly runBits: number;
  /** Bits of the literal-count field. */
  readonly litBits: number;
}

export const RLE_DEFAULTS: RleParams = { runBits: 8, litBits: 8 };

/** Checks field widths: each 1..31, together a whole number of bytes from 1 to 4. */
export function checkRleParams(p: RleParams): void {
  for (const [name, v] of [
    ['runBits', p.runBits],
    ['litBits', p.litBits],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 31)
      throw new InvalidArgumentError(`rle ${name} must be an integer from 1 to 31, not ${v}`);
  }
  const sum = p.runBits + p.litBits;
  if (sum % 8 !== 0 || sum > 32)
    throw new InvalidArgumentError(
      `rle runBits + litBits must be 8, 16, 24 or 32 (a whole-byte header), not ${sum}`,
    );
}

/** Header bytes of one token. */
export function rleHeaderBytes(p: RleParams): number {
  return (p.runBits + p.litBits) / 8;
}

/** Largest encoded size of `byteLength` bytes of eb-byte words. */
export function rleMaxSize(byteLength: number, eb: ElementBytes, p: RleParams): number {
  const n = byteLength / eb;
  const h = rleHeaderBytes(p);
  // Every token covers at least one word. With both fields wider than one
  // bit, every token but the first and the last covers two or more words on
  // average (a one-word token (0,1) only follows a token with maxed literals).
  const tokens = p.runBits >= 2 && p.litBits >= 2 ? Math.floor(n / 2) + 2 : n;
  return byteLength + h * Math.min(n, tokens);
}

/** Most raw bytes one encoded byte can stand for (a header of maxed zeros). */
export function rleMaxExpansion(p: RleParams, eb: ElementBytes): number {
  return Math.max(1, ((2 ** p.runBits - 1) * eb) / rleHeaderBytes(p));
}

type Words = Int32Array | Uint16Array;

function wordsOf(b: Uint8Array, eb: ElementBytes): Words {
  const a = alignedBytes(b, eb);
  return eb === 4 ? words32(a) : words16(a);
}

/** Number of tokens the greedy encoder emits for `w`. */
function countTokens(w: Words, maxZ: number, maxL: number): number {
  const n = w.length;
  let i = 0;
  let tokens = 0;
  while (i < n) {
    const zEnd = Math.min(n, i + maxZ);
    while (i < zEnd && w[i] === 0) i++;
    const lEnd = Math.min(n, i + maxL);
    while (i < lEnd && w[i] !== 0) i++;
    tokens++;
  }
  return tokens;
}

function countNonZeroWords(w: Words): number {
  let nz = 0;
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) nz++;
  return nz;
}

/** Exact encoded size, by a counting pass. */
export function rleEncodedSize(src: Uint8Array, eb: ElementBytes, p: RleParams): number {
  const w = wordsOf(src, eb);
  return (
    countTokens(w, 2 ** p.runBits - 1, 2 ** p.litBits - 1) * rleHeaderBytes(p) +
    countNonZeroWords(w) * eb
  );
}

/** Encodes into `out` (at least the encoded size); returns the length. */
export function rleEncode(
  src: Uint8Array,
  eb: ElementBytes,
  p: RleParams,
  out: Uint8Array,
): number {
  const s = alignedBytes(src, eb);
  const w = eb === 4 ? words32(s) : words16(s);
  const n = w.length;
  const maxZ = 2 ** p.runBits - 1;
  const maxL = 2 ** p.litBits - 1;
  const h = rleHeaderBytes(p);
  const scale = 2 ** p.runBits;
  let i = 0;
  let o = 0;
  while (i < n) {
    const z0 = i;
    const zEnd = Math.min(n, i + maxZ);
    while (i < zEnd && w[i] === 0) i++;
    const l0 = i;
    const lEnd = Math.min(n, i + maxL);
    while (i < lEnd && w[i] !== 0) i++;
    const l = i - l0;
    const bytes = l * eb;
    if (o + h + bytes > out.length)
      throw new InvalidArgumentError(`output of ${out.length} bytes is too small for rle`);
    let v = l0 - z0 + l * scale;
    for (let k = 0; k < h; k++) {
      out[o++] = v & 0xff;
      v = Math.floor(v / 256);
    }
    const from = l0 * eb;
    if (bytes >= 64) out.set(s.subarray(from, from + bytes), o);
    else for (let k = 0; k < bytes; k++) out[o + k] = s[from + k];
    o += bytes;
  }
  return o;
}

/** Decodes into exactly out.length bytes; CorruptDataError when the stream does not fit. */
export function rleDecode(src: Uint8Array, eb: ElementBytes, p: RleParams, out: Uint8Array): void {
  const h = rleHeaderBytes(p);
  const scale = 2 ** p.runBits;
  const len = src.length;
  const n = out.length / eb;
  let i = 0; // input byte
  let o = 0; // output word
  while (i < len) {
    if (i + h > len) throw new CorruptDataError('rle payload is truncated inside a token header');
    let v = 0;
    for (let k = h - 1; k >= 0; k--) v = v * 256 + src[i + k];
    i += h;
    const z = v % scale;
    const l = Math.floor(v / scale);
    if (z === 0 && l === 0) throw new CorruptDataError('rle payload is corrupt: an empty token');
    if (o + z + l > n)
      throw new CorruptDataError(`rle payload is corrupt: it decodes to more than ${n} words`);
    const bytes = l * eb;
    if (i + bytes > len) throw new CorruptDataError('rle payload is truncated inside literals');
    const zb = o * eb;
    const ze = zb + z * eb;
    if (z >= 16) out.fill(0, zb, ze);
    else for (let k = zb; k < ze; k++) out[k] = 0;
    if (bytes >= 64) out.set(src.subarray(i, i + bytes), ze);
    else for (let k = 0; k < bytes; k++) out[ze + k] = src[i + k];
    i += bytes;
    o += z + l;
  }
  if (o !== n)
    throw new CorruptDataError(`rle payload is truncated: it decodes to ${o} of ${n} words`);
}

/** The rle operations with field widths `p` (checked by checkRleParams). */
function rleOps(p: RleParams): CodecOps {
  return {
    maxEncodedSize(byteLength, eb) {
      checkElements(byteLength, eb);
      return rleMaxSize(byteLength, eb, p);
    },
    encodedSize(src, eb) {
      checkElements(src.length, eb);
      return rleEncodedSize(src, eb, p);
    },
    encode(src, eb, out) {
      checkElements(src.length, eb);
      const target = out ?? new Uint8Array(rleEncodedSize(src, eb, p));
      return target.subarray(0, rleEncode(src, eb, p, target));
    },
    decode(src, eb, byteLength, out) {
      checkElements(byteLength, eb);
      if (out !== undefined && out.length < byteLength)
        throw new InvalidArgumentError(
          `output of ${out.length} bytes cannot hold ${byteLength} bytes`,
        );
      const target = out === undefined ? new Uint8Array(byteLength) : out.subarray(0, byteLength);
      rleDecode(src, eb, p, target);
      return target;
    },
    maxExpansion: (eb) => rleMaxExpansion(p, eb),
  };
}

/** Field widths from checked codec params. */
function rleParamsOf(params: CodecParams): RleParams {
  return { runBits: params.runBits, litBits: params.litBits };
}

export const rleCodec: CodecDescriptor = {
  id: 'rle',
  containerId: 2,
  description: 'run-length coding of zero words between literal words',
  params: [
    {
      name: 'runBits',
      type: 'integer',
      default: RLE_DEFAULTS.runBits,
      min: 1,
      max: 31,
      description: 'bits of the zero-run field (runs up to 2^runBits - 1 words)',
    },
    {
      name: 'litBits',
      type: 'integer',
      default: RLE_DEFAULTS.litBits,
      min: 1,
      max: 31,
      description: 'bits of the literal-count field; runBits + litBits = 8, 16, 24 or 32',
    },
  ],
  elementBytes: [2, 4],
  cheapExactSize: false,
  checkParams: (params) => checkRleParams(rleParamsOf(params)),
  create: (params) => rleOps(rleParamsOf(params)),
  // Per token, its header (zeros, literals) then the literal words.
  describePayload(payload, ctx) {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
    const eb = ctx.elementBytes;
    const { runBits } = rleParamsOf(ctx.params);
    const hb = rleHeaderBytes(rleParamsOf(ctx.params));
    const end = payload.length;
    const fields: PayloadField[] = [];
    let p = 0;
    let word = ctx.firstElement;
    while (p + hb <= end) {
      let v = 0;
      for (let k = hb - 1; k >= 0; k--) v = v * 256 + view.getUint8(p + k);
      const z = v % 2 ** runBits;
      const l = Math.floor(v / 2 ** runBits);
      const note = `token: ${z} zero${z === 1 ? '' : 's'}, then ${l} literal${l === 1 ? '' : 's'}`;
      fields.push({ offset: p, length: hb, note });
      p += hb;
      word += z;
      for (let k = 0; k < l && p + eb <= end; k++, word++) {
        const value = describeElement(view, p, eb, ctx.dtype);
        fields.push({ offset: p, length: eb, note: `  element ${word}: ${value}` });
        p += eb;
      }
    }
    if (p < end) fields.push({ offset: p, length: end - p, note: '(bytes past the last token)' });
    return fields;
  },
};
