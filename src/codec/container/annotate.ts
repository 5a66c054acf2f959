/**
 * A container as an annotated hex dump: every header field and frame on its
 * own line(s) with its offset and meaning; payloads of codecs that describe
 * them (descriptor describePayload: zvc's masks and values, rle's tokens) are
 * split into their fields. docs/FORMAT.md's worked example is this function's
 * output (a test keeps the two equal); `cdma inspect --dump` prints it.
 */
import { codecDescriptor } from '../registry.js';
import { hex32 } from './format.js';
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
    const describe = codecDescriptor(h.codec).describePayload;
    if (describe) {
      d.field(p, 0, `chunk ${i} payload (${h.codec}):`);
      const payload = bytes.subarray(p, p + len);
      const context = {
        dtype: h.dtype,
        elementBytes: c.elementBytes,
        params: h.params,
        firstElement: i * h.chunkElements,
        elements,
      };
      for (const f of describe(payload, context)) d.field(p + f.offset, f.length, `  ${f.note}`);
      p += len;
    } else p = d.field(p, len, `chunk ${i} payload (${h.codec})`);
  }
  return d.lines;
}
