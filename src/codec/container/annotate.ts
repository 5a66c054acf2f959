/**
 * A container as an annotated hex dump: every header field and frame on its
 * own line(s) with its offset and meaning; ZVC payloads are split into their
 * masks and values. docs/FORMAT.md's worked example is this function's
 * output (a test keeps the two equal); `cdma inspect --dump` prints it.
 */
import { DTYPE_BYTES } from '../codec.js';
import { hex32, type ContainerHeader } from './format.js';
import type { ParsedContainer } from './reader.js';

const PER_ROW = 16;
const BYTES_COLUMN = PER_ROW * 3;

function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

class Dump {
  readonly lines: string[] = [];
  constructor(
    private readonly bytes: Uint8Array,
    private readonly offsetDigits: number,
  ) {}

  /** Lines for bytes [at, at + len): rows of 16, the note on the first. */
  field(at: number, len: number, note: string): number {
    for (
      let p = at, first = true;
      p < at + len || (len === 0 && first);
      p += PER_ROW, first = false
    ) {
      const row = this.bytes.subarray(p, Math.min(p + PER_ROW, at + len));
      const off = p.toString(16).padStart(this.offsetDigits, '0');
      this.lines.push(
        `${off}  ${hexBytes(row).padEnd(BYTES_COLUMN)}${first ? `| ${note}` : '|'}`.trimEnd(),
      );
      if (len === 0) break;
    }
    return at + len;
  }
}

function describeValue(view: DataView, at: number, eb: 2 | 4, dtype: string): string {
  if (eb === 4) {
    const v = view.getFloat32(at, true);
    return Object.is(v, -0) ? '-0' : String(v);
  }
  return `${dtype} 0x${view.getUint16(at, true).toString(16).padStart(4, '0')}`;
}

/** ZVC payload: per block, the mask then each non-zero element (numbered from `base`, in stored order). */
function zvcPayload(
  d: Dump,
  view: DataView,
  at: number,
  len: number,
  base: number,
  elements: number,
  h: ContainerHeader,
): void {
  const eb = DTYPE_BYTES[h.dtype];
  const end = at + len;
  let p = at;
  for (let block = 0; block * 32 < elements && p + 4 <= end; block++) {
    const mask = view.getUint32(p, true);
    const nnz = popcount(mask);
    p = d.field(
      p,
      4,
      `  block ${block} mask ${hex32(mask)}: ${nnz} non-zero of ${Math.min(32, elements - block * 32)}`,
    );
    for (let k = 0; k < nnz && p + eb <= end; k++) {
      const bit = nthSetBit(mask, k);
      p = d.field(
        p,
        eb,
        `    element ${base + block * 32 + bit}: ${describeValue(view, p, eb, h.dtype)}`,
      );
    }
  }
  if (p < end) d.field(p, end - p, '  (bytes past the last block)');
}

/** RLE payload: per token, its header (zeros, literals) then the literal words. */
function rlePayload(
  d: Dump,
  view: DataView,
  at: number,
  len: number,
  base: number,
  h: ContainerHeader,
): void {
  const eb = DTYPE_BYTES[h.dtype];
  const runBits = h.params.runBits;
  const hb = (runBits + h.params.litBits) / 8;
  const end = at + len;
  let p = at;
  let word = base;
  while (p + hb <= end) {
    let v = 0;
    for (let k = hb - 1; k >= 0; k--) v = v * 256 + view.getUint8(p + k);
    const z = v % 2 ** runBits;
    const l = Math.floor(v / 2 ** runBits);
    p = d.field(
      p,
      hb,
      `  token: ${z} zero${z === 1 ? '' : 's'}, then ${l} literal${l === 1 ? '' : 's'}`,
    );
    word += z;
    for (let k = 0; k < l && p + eb <= end; k++, word++)
      p = d.field(p, eb, `    element ${word}: ${describeValue(view, p, eb, h.dtype)}`);
  }
  if (p < end) d.field(p, end - p, '  (bytes past the last token)');
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v !== 0; v &= v - 1) n++;
  return n;
}

function nthSetBit(mask: number, k: number): number {
  for (let bit = 0, seen = 0; bit < 32; bit++) if ((mask >>> bit) & 1 && seen++ === k) return bit;
  return -1;
}

/** The annotated dump of a parsed container, one string per line. */
export function annotate(c: ParsedContainer): string[] {
  const { bytes, header: h } = c;
  const d = new Dump(bytes, Math.max(4, bytes.length.toString(16).length));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let p = 0;
  p = d.field(p, 4, 'magic "CDMA"');
  p = d.field(p, 1, `format version ${h.version}`);
  p = d.field(p, 1, 'flags: none');
  p = d.field(p, 2, `header length: ${h.headerBytes} bytes`);
  p = d.field(p, 1, `codec: ${h.codec}`);
  p = d.field(p, 1, `dtype: ${h.dtype}`);
  p = d.field(p, 1, `layout: ${h.layout}`);
  p = d.field(p, 1, `codec layout: ${h.codecLayout}`);
  p = d.field(p, 1, `dimensions: ${h.shape.length}`);
  p = d.field(p, 1, `codec parameters: ${Object.keys(h.params).length}`);
  p = d.field(p, 2, 'reserved: 0');
  p = d.field(p, 8, `elements: ${h.elements}`);
  p = d.field(p, 4, `elements per chunk: ${h.chunkElements}`);
  p = d.field(p, 4, `chunks: ${h.chunkCount}`);
  for (let i = 0; i < h.shape.length; i++) p = d.field(p, 8, `shape[${i}]: ${h.shape[i]}`);
  for (const [name, value] of Object.entries(h.params)) {
    p = d.field(p, 1 + name.length, `parameter name: ${name.length} bytes, "${name}"`);
    p = d.field(p, 8, `parameter value (float64): ${value}`);
  }
  p = d.field(
    p,
    4,
    `header CRC-32 of bytes 0-${h.headerBytes - 5}: ${hex32(view.getUint32(p, true))}`,
  );
  for (let i = 0; i < h.chunkCount; i++) {
    const len = c.payloadBytes[i];
    const elements = Math.min(h.chunkElements, h.elements - i * h.chunkElements);
    p = d.field(p, 4, `chunk ${i} payload length: ${len} bytes (${elements} elements)`);
    p = d.field(p, 4, `chunk ${i} CRC-32 of length and payload: ${hex32(view.getUint32(p, true))}`);
    const base = i * h.chunkElements;
    if (h.codec === 'zvc' || h.codec === 'rle') {
      d.field(p, 0, `chunk ${i} payload (${h.codec}):`);
      if (h.codec === 'zvc') zvcPayload(d, view, p, len, base, elements, h);
      else rlePayload(d, view, p, len, base, h);
      p += len;
    } else p = d.field(p, len, `chunk ${i} payload (${h.codec})`);
  }
  return d.lines;
}
