/**
 * NumPy .npy files (format versions 1.0, 2.0 and 3.0), for the dtypes cdma
 * compresses: '<f4' (float32), '<f2' (float16) and '<u2' (uint16, which is how
 * bfloat16 tensors are usually saved). The reader trusts nothing: Fortran
 * order, big-endian or other dtypes, object arrays, truncated data and absurd
 * headers are InputFileErrors naming the problem.
 *
 * Format (numpy.lib.format): magic "\x93NUMPY", major and minor version bytes,
 * header length (u16 LE in 1.0, u32 LE in 2.0/3.0), then a Python dict literal
 * {'descr': ..., 'fortran_order': ..., 'shape': (...), } padded with spaces
 * and a newline so the data starts at a multiple of 64, then the raw data.
 */
import { InputFileError, InvalidArgumentError } from '../errors.js';

export type NpyDType = 'float32' | 'float16' | 'uint16';

export interface NpyArray {
  readonly dtype: NpyDType;
  readonly shape: readonly number[];
  /** The raw little-endian element bytes, C order (a view into the input when read). */
  readonly data: Uint8Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** Largest header accepted (numpy itself refuses more than 10000 bytes by default). */
export const MAX_NPY_HEADER_BYTES = 65536;
const MAX_DIMS = 32;
const ALIGN = 64;

const DESCR: Readonly<Record<string, NpyDType>> = {
  '<f4': 'float32',
  '<f2': 'float16',
  '<u2': 'uint16',
};
const DESCR_OF: Readonly<Record<NpyDType, string>> = {
  float32: '<f4',
  float16: '<f2',
  uint16: '<u2',
};
const ITEM_BYTES: Readonly<Record<NpyDType, number>> = { float32: 4, float16: 2, uint16: 2 };

export function npyItemBytes(dtype: NpyDType): number {
  return ITEM_BYTES[dtype];
}

/** A header string as messages show it: quoted, control and non-ASCII characters escaped, shortened. */
function quoted(s: string): string {
  const short = s.length > 40 ? `${s.slice(0, 40)}...` : s;
  const escaped = short.replace(/[^\x20-\x7e]|['\\]/g, (c) => {
    const code = c.charCodeAt(0);
    if (c === "'" || c === '\\') return `\\${c}`;
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return `'${escaped}'`;
}

/** A literal of the header dict: string, boolean, tuple of integers (or a list, which we reject). */
type Literal = string | boolean | number[] | { list: true };

/** A strict parser for the small Python literal subset .npy headers use. */
class HeaderParser {
  private p = 0;
  constructor(
    private readonly s: string,
    private readonly fail: (msg: string) => InputFileError,
  ) {}

  private ws(): void {
    while (this.p < this.s.length && ' \t\r\n'.includes(this.s[this.p])) this.p++;
  }

  private expect(ch: string): void {
    this.ws();
    if (this.s[this.p] !== ch) throw this.fail(`header: expected '${ch}' at character ${this.p}`);
    this.p++;
  }

  private peek(): string | undefined {
    this.ws();
    return this.s[this.p];
  }

  private string(): string {
    this.ws();
    const q = this.s[this.p];
    if (q !== "'" && q !== '"') throw this.fail(`header: expected a string at character ${this.p}`);
    const end = this.s.indexOf(q, this.p + 1);
    if (end < 0) throw this.fail('header: unterminated string');
    const v = this.s.slice(this.p + 1, end);
    if (v.includes('\\')) throw this.fail('header: escapes in strings are not supported');
    this.p = end + 1;
    return v;
  }

  private integer(): number {
    this.ws();
    const m = /^[0-9]+L?/.exec(this.s.slice(this.p, this.p + 24));
    if (!m) throw this.fail(`header: expected an integer at character ${this.p}`);
    this.p += m[0].length;
    const v = Number(m[0].replace('L', ''));
    if (!Number.isSafeInteger(v)) throw this.fail(`header: dimension ${m[0]} is too large`);
    return v;
  }

  private tuple(): number[] {
    this.expect('(');
    const items: number[] = [];
    while (this.peek() !== ')') {
      if (items.length >= MAX_DIMS) throw this.fail(`shape has more than ${MAX_DIMS} dimensions`);
      items.push(this.integer());
      if (this.peek() === ',') this.p++;
      else if (this.peek() !== ')')
        throw this.fail(`header: expected ',' or ')' at character ${this.p}`);
    }
    this.p++;
    return items;
  }

  private value(): Literal {
    const c = this.peek();
    if (c === "'" || c === '"') return this.string();
    if (c === '(') return this.tuple();
    if (c === '[') return { list: true };
    for (const [word, v] of [
      ['True', true],
      ['False', false],
    ] as const) {
      if (this.s.startsWith(word, this.p)) {
        this.p += word.length;
        return v;
      }
    }
    throw this.fail(`header: unexpected value at character ${this.p}`);
  }

  /** Parses the whole dict; only its end may be followed by whitespace. */
  dict(): Map<string, Literal> {
    const out = new Map<string, Literal>();
    this.expect('{');
    while (this.peek() !== '}') {
      const key = this.string();
      this.expect(':');
      const v = this.value();
      if (typeof v === 'object' && 'list' in v) {
        if (key === 'descr') throw this.fail('structured (record) dtypes are not supported');
        throw this.fail(`header: unexpected list for ${quoted(key)}`);
      }
      if (out.has(key)) throw this.fail(`header: key ${quoted(key)} repeats`);
      out.set(key, v);
      if (this.peek() === ',') this.p++;
      else if (this.peek() !== '}')
        throw this.fail(`header: expected ',' or '}' at character ${this.p}`);
    }
    this.p++;
    this.ws();
    if (this.p !== this.s.length) throw this.fail('header: unexpected text after the dict');
    return out;
  }
}

function describeDescr(descr: string): string {
  if (/^>[a-z]\d{1,2}$/.test(descr))
    return `big-endian dtype '${descr}' is not supported; save the array little-endian (a.astype('<${descr.slice(1)}'))`;
  if (descr.startsWith('>'))
    return `big-endian dtype ${quoted(descr)} is not supported; save the array little-endian`;
  if (descr.includes('O')) return `object arrays (${quoted(descr)}) are not supported`;
  return `dtype ${quoted(descr)} is not supported; use float32 ('<f4'), float16 ('<f2') or uint16 ('<u2', bfloat16 bit patterns)`;
}

/**
 * Parses a .npy file's bytes. `name` (a path, usually) starts every error
 * message. The returned data is a view into `bytes`.
 */
export function parseNpy(bytes: Uint8Array, name = '.npy input'): NpyArray {
  const fail = (msg: string): InputFileError => new InputFileError(`${name}: ${msg}`);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    throw fail('not a NumPy .npy file (bad magic; expected \\x93NUMPY)');
  const major = bytes[6];
  const minor = bytes[7];
  if (minor !== 0 || major < 1 || major > 3)
    throw fail(`unsupported .npy format version ${major}.${minor} (1.0, 2.0 and 3.0 are read)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const pre = major === 1 ? 10 : 12;
  if (bytes.length < pre) throw fail('truncated .npy preamble');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLen > MAX_NPY_HEADER_BYTES)
    throw fail(`header of ${headerLen} bytes is larger than the ${MAX_NPY_HEADER_BYTES} allowed`);
  if (pre + headerLen > bytes.length)
    throw fail(`truncated: the header needs ${headerLen} bytes, ${bytes.length - pre} remain`);
  const headerBytes = bytes.subarray(pre, pre + headerLen);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes);
  const dict = new HeaderParser(text, fail).dict();
  for (const key of dict.keys())
    if (key !== 'descr' && key !== 'fortran_order' && key !== 'shape')
      throw fail(`header: unknown key ${quoted(key)}`);
  const descr = dict.get('descr');
  const fortran = dict.get('fortran_order');
  const shape = dict.get('shape');
  if (typeof descr !== 'string') throw fail("header: 'descr' is missing or not a string");
  if (typeof fortran !== 'boolean')
    throw fail("header: 'fortran_order' is missing or not True/False");
  if (!Array.isArray(shape)) throw fail("header: 'shape' is missing or not a tuple");
  const dtype = DESCR[descr];
  if (!dtype) throw fail(describeDescr(descr));
  let elements = 1;
  for (const d of shape) elements *= d;
  const dataBytes = elements * ITEM_BYTES[dtype];
  const available = bytes.length - pre - headerLen;
  if (fortran && shape.filter((d) => d > 1).length > 1)
    throw fail('Fortran-order arrays are not supported; save with np.ascontiguousarray(a)');
  if (!Number.isSafeInteger(dataBytes) || dataBytes > available)
    throw fail(
      `truncated: shape (${shape.join(', ')}) of ${descr} needs ${dataBytes} data bytes, ${available} remain`,
    );
  if (dataBytes < available)
    throw fail(`${available - dataBytes} unexpected bytes after the array data`);
  return { dtype, shape, data: bytes.subarray(pre + headerLen) };
}

/** The .npy preamble and header (version 1.0, or 2.0 when it needs it) for an array of `dtype` and `shape`. */
export function npyHeader(dtype: NpyDType, shape: readonly number[]): Uint8Array {
  const descr = DESCR_OF[dtype];
  if (!descr) throw new InvalidArgumentError(`cannot write dtype ${String(dtype)} to .npy`);
  if (shape.length > MAX_DIMS)
    throw new InvalidArgumentError(`shape has more than ${MAX_DIMS} dimensions`);
  for (const d of shape)
    if (!Number.isSafeInteger(d) || d < 0)
      throw new InvalidArgumentError(`bad dimension ${d} in shape`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const major = dict.length + 1 + 10 <= 0xffff ? 1 : 2;
  const pre = major === 1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / ALIGN) * ALIGN;
  const headerLen = total - pre;
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerLen, true);
  else view.setUint32(8, headerLen, true);
  const header = dict.padEnd(headerLen - 1, ' ') + '\n';
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  return out;
}

/** The whole .npy file for `arr`. */
export function encodeNpy(arr: NpyArray): Uint8Array {
  const { dtype, shape, data } = arr;
  const header = npyHeader(dtype, shape);
  const elements = shape.reduce((a, d) => a * d, 1);
  if (elements * ITEM_BYTES[dtype] !== data.length)
    throw new InvalidArgumentError(
      `shape (${shape.join(', ')}) of ${dtype} needs ${elements * ITEM_BYTES[dtype]} bytes, data has ${data.length}`,
    );
  const out = new Uint8Array(header.length + data.length);
  out.set(header, 0);
  out.set(data, header.length);
  return out;
}
