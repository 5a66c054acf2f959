/**
 * Decoding one PNG (pngjs) or JPEG (jpeg-js) into 8-bit grey or RGB pixels, HWC.
 * The whole image is validated before the library decodes it: a PNG's chunk
 * structure, its zlib stream (complete, checksummed, exactly the rows its
 * header needs) and row filters; a JPEG's markers and its entropy-coded data
 * (every block of every scan, no invalid code, nothing left over). Damage is
 * an InputFileError naming the file, never pixels made up by the decoder.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { constants as zlibConstants, inflateSync } from 'node:zlib';
import { InputFileError } from '../errors.js';
import {
  LOOKUP_BITS,
  MAX_IMAGE_PIXELS,
  PNG_SAMPLES,
  scanJpeg,
  scanPng,
  type HuffmanTable,
  type ImageHeader,
  type JpegLayout,
  type JpegScan,
  type PngLayout,
} from './image-header.js';

export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  /** [height, width, channels] row-major. */
  readonly pixels: Uint8Array;
}

/** What a library decoded: RGBA or RGB pixels. */
interface LibraryPixels {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
  readonly stride: 3 | 4;
}

function damaged(path: string, problem: string): InputFileError {
  return new InputFileError(`${path}: ${problem}; the file is truncated or corrupt, replace it`);
}

function corrupt(path: string, problem: string): InputFileError {
  return new InputFileError(`${path}: ${problem}; the file is corrupt, replace it`);
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

/** Runs a library decoder; whatever it throws becomes an InputFileError naming the file. */
function library<T>(format: string, path: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    throw new InputFileError(
      `${path}: cannot decode ${format} (${firstLine(e)}); remove or replace the file`,
    );
  }
}

// ---------------------------------------------------------------- PNG

/** Adam7 passes: first column, first row, column step, row step. */
const ADAM7: readonly (readonly [number, number, number, number])[] = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

interface PngPass {
  readonly rows: number;
  /** Filter byte included. */
  readonly rowBytes: number;
}

/** The rows the image data must hold, pass by pass (one pass unless interlaced). */
function pngPasses(l: PngLayout): PngPass[] {
  const bitsPerPixel = PNG_SAMPLES[l.colourType] * l.bitDepth;
  const pass = (w: number, h: number): PngPass => ({
    rows: Math.max(0, h),
    rowBytes: 1 + Math.ceil((Math.max(0, w) * bitsPerPixel) / 8),
  });
  if (!l.interlaced) return [pass(l.width, l.height)];
  return ADAM7.map(([x0, y0, dx, dy]) =>
    pass(Math.ceil((l.width - x0) / dx), Math.ceil((l.height - y0) / dy)),
  ).filter((p) => p.rows > 0 && p.rowBytes > 1);
}

/** Whole rows within the first `bytes` bytes of image data. */
function rowsIn(bytes: number, passes: readonly PngPass[]): number {
  let rows = 0;
  for (const p of passes) {
    const whole = Math.min(p.rows, Math.floor(bytes / p.rowBytes));
    rows += whole;
    bytes -= whole * p.rowBytes;
    if (whole < p.rows) break;
  }
  return rows;
}

/** node:zlib's answer with `info: true`. */
interface InflateInfo {
  readonly buffer: Buffer;
  readonly engine: { readonly bytesWritten: number };
}

/** Bytes a cut-off zlib stream inflates to, or null when even that fails. */
function inflatedPrefix(data: Uint8Array, max: number): number | null {
  try {
    return inflateSync(data, {
      finishFlush: zlibConstants.Z_SYNC_FLUSH,
      maxOutputLength: max,
    }).length;
  } catch {
    return null;
  }
}

function pngInflateError(
  e: unknown,
  data: Uint8Array,
  l: PngLayout,
  passes: readonly PngPass[],
  path: string,
): InputFileError {
  const code = (e as NodeJS.ErrnoException).code;
  const rows = passes.reduce((n, p) => n + p.rows, 0);
  const expected = passes.reduce((n, p) => n + p.rows * p.rowBytes, 0);
  if (code === 'ERR_BUFFER_TOO_LARGE')
    return corrupt(path, `PNG image data is longer than its ${l.width}x${l.height} header allows`);
  if (code === 'Z_BUF_ERROR') {
    const got = inflatedPrefix(data, expected);
    const where = got === null ? '' : ` after ${rowsIn(got, passes)} of ${rows} rows`;
    return damaged(path, `PNG image data is cut off: its zlib stream ends${where}`);
  }
  return corrupt(path, `PNG image data is not a valid zlib stream (${firstLine(e)})`);
}

/**
 * Inflates the IDAT data (bounded by what the header needs) and checks that
 * it is one complete zlib stream holding exactly the image's rows, each with
 * a known filter type.
 */
function checkPngData(l: PngLayout, path: string): void {
  const passes = pngPasses(l);
  const rows = passes.reduce((n, p) => n + p.rows, 0);
  const expected = passes.reduce((n, p) => n + p.rows * p.rowBytes, 0);
  const data = Buffer.concat(l.idat);
  if (data.length === 0) throw corrupt(path, 'PNG has no image data (its IDAT chunks are empty)');
  let out: InflateInfo;
  try {
    out = inflateSync(data, { info: true, maxOutputLength: expected }) as unknown as InflateInfo;
  } catch (e) {
    throw pngInflateError(e, data, l, passes, path);
  }
  if (out.buffer.length < expected)
    throw damaged(
      path,
      `PNG image data is short: ${rowsIn(out.buffer.length, passes)} of ${rows} rows`,
    );
  const extra = data.length - out.engine.bytesWritten;
  if (extra > 0)
    throw corrupt(path, `PNG image data has ${extra} bytes after the end of its zlib stream`);
  let at = 0;
  let row = 0;
  for (const p of passes) {
    for (let r = 0; r < p.rows; r++, row++, at += p.rowBytes) {
      if (out.buffer[at] > 4)
        throw corrupt(path, `PNG row ${row + 1} has filter type ${out.buffer[at]}, not 0-4`);
    }
  }
}

function decodePng(bytes: Uint8Array, path: string): LibraryPixels {
  const layout = scanPng(bytes, path);
  checkPngData(layout, path);
  const image = Buffer.from(bytes.buffer, bytes.byteOffset, layout.end);
  const png = library('PNG', path, () => PNG.sync.read(image));
  return { width: png.width, height: png.height, data: png.data, stride: 4 };
}

// ---------------------------------------------------------------- JPEG

/** Blocks across and down one component in a scan of that component alone. */
function componentBlocks(l: JpegLayout, ci: number): [number, number] {
  const c = l.components[ci];
  return [Math.ceil((l.width * c.h) / (8 * l.maxH)), Math.ceil((l.height * c.v) / (8 * l.maxV))];
}

function isRst(m: number): boolean {
  return m >= 0xd0 && m <= 0xd7;
}

/**
 * Decodes the entropy-coded data of every scan without reconstructing pixels
 * (T.81 F.2.2 and G.2.2): each Huffman code must be valid, each coefficient
 * inside its block, each scan and restart interval must hold exactly its
 * MCUs, and restart markers must come in order.
 */
class JpegDataCheck {
  private scan!: JpegScan;
  private scanNo = 0;
  private mcusPerLine = 1;
  private mcuRows = 1;
  private mcu = 0;
  /** Next byte to read into the bit buffer. */
  private pos = 0;
  /** The bit buffer: its low `accBits` bits are read but not yet used. */
  private acc = 0;
  private accBits = 0;
  /** The byte at `pos` starts a marker: the interval's data is all read. */
  private atMarker = false;
  private eobrun = 0;
  /** Progressive only: per component, a 64-bit mask per block of the coefficients already non-zero. */
  private readonly nonzero: (Uint32Array | undefined)[] = [];

  constructor(
    private readonly b: Uint8Array,
    private readonly l: JpegLayout,
    private readonly path: string,
  ) {}

  run(): void {
    this.l.scans.forEach((scan, i) => {
      this.scan = scan;
      this.scanNo = i + 1;
      this.checkScan();
    });
  }

  private short(): InputFileError {
    const rows = Math.floor(this.mcu / this.mcusPerLine);
    return damaged(
      this.path,
      `JPEG image data is short: scan ${this.scanNo} of ${this.l.scans.length} stops after ${rows} of ${this.mcuRows} block rows`,
    );
  }

  private bad(problem: string): InputFileError {
    const at = this.pos - (this.accBits >> 3);
    return corrupt(
      this.path,
      `JPEG image data is corrupt: ${problem} in scan ${this.scanNo} near byte ${at}`,
    );
  }

  /** Tops the bit buffer up to more than 23 bits, or up to the next marker. */
  private fill(): void {
    const { b } = this;
    while (this.accBits <= 23 && !this.atMarker) {
      const x = b[this.pos];
      if (x === 0xff) {
        if (b[this.pos + 1] !== 0) {
          this.atMarker = true;
          break;
        }
        this.pos += 2;
      } else {
        this.pos += 1;
      }
      this.acc = ((this.acc << 8) | x) & 0x7fffffff;
      this.accBits += 8;
    }
  }

  /** The next `n` (at most 16) bits as a number. */
  private bits(n: number): number {
    if (this.accBits < n) {
      this.fill();
      if (this.accBits < n) throw this.short();
    }
    this.accBits -= n;
    return (this.acc >> this.accBits) & ((1 << n) - 1);
  }

  private bit(): number {
    return this.bits(1);
  }

  private huff(t: HuffmanTable | undefined): number {
    if (t === undefined) throw this.bad('a missing Huffman table');
    if (this.accBits < LOOKUP_BITS) this.fill();
    if (this.accBits >= LOOKUP_BITS) {
      const hit = t.lookup[(this.acc >> (this.accBits - LOOKUP_BITS)) & ((1 << LOOKUP_BITS) - 1)];
      if (hit !== 0) {
        this.accBits -= hit >> 8;
        return hit & 0xff;
      }
    }
    let code = 0;
    for (let len = 1; len <= 16; len++) {
      code = code * 2 + this.bit();
      if (code <= t.maxCode[len]) return t.symbols[code + t.valOffset[len]];
    }
    throw this.bad('an invalid Huffman code');
  }

  private dcDiff(t: HuffmanTable | undefined): void {
    const s = this.huff(t);
    if (s > 11) throw this.bad(`a DC difference of ${s} bits`);
    this.bits(s);
  }

  private baseline(dc: HuffmanTable | undefined, ac: HuffmanTable | undefined): void {
    this.dcDiff(dc);
    for (let k = 1; k < 64; k++) {
      const rs = this.huff(ac);
      const r = rs >> 4;
      const s = rs & 15;
      if (s === 0) {
        if (r !== 15) return;
        k += 15;
        continue;
      }
      k += r;
      if (k > 63) throw this.bad('a coefficient past the end of its block');
      if (s > 10) throw this.bad(`an AC value of ${s} bits`);
      this.bits(s);
    }
  }

  private nonzeroOf(ci: number): Uint32Array {
    let mask = this.nonzero[ci];
    if (mask === undefined) {
      const [across, down] = componentBlocks(this.l, ci);
      mask = new Uint32Array(across * down * 2);
      this.nonzero[ci] = mask;
    }
    return mask;
  }

  private acFirst(ac: HuffmanTable | undefined, nz: Uint32Array, blk: number): void {
    if (this.eobrun > 0) {
      this.eobrun--;
      return;
    }
    const { ss, se } = this.scan;
    for (let k = ss; k <= se; k++) {
      const rs = this.huff(ac);
      const r = rs >> 4;
      const s = rs & 15;
      if (s === 0) {
        if (r === 15) {
          k += 15;
          continue;
        }
        this.eobrun = 2 ** r - 1 + this.bits(r);
        return;
      }
      k += r;
      if (k > se) throw this.bad('a coefficient past the end of its spectral band');
      if (s > 10) throw this.bad(`an AC value of ${s} bits`);
      this.bits(s);
      nz[2 * blk + (k >> 5)] |= 1 << (k & 31);
    }
  }

  private acRefine(ac: HuffmanTable | undefined, nz: Uint32Array, blk: number): void {
    const { ss, se } = this.scan;
    const isSet = (k: number) => (nz[2 * blk + (k >> 5)] & (1 << (k & 31))) !== 0;
    let k = ss;
    if (this.eobrun === 0) {
      for (; k <= se; k++) {
        const rs = this.huff(ac);
        let r = rs >> 4;
        const s = rs & 15;
        if (s !== 0) {
          if (s !== 1) throw this.bad(`a refinement value of ${s} bits`);
          this.bit();
        } else if (r !== 15) {
          this.eobrun = 2 ** r + this.bits(r);
          break;
        }
        while (k <= se) {
          if (isSet(k)) this.bit();
          else if (--r < 0) break;
          k++;
        }
        if (s !== 0) {
          if (k > se) throw this.bad('a coefficient past the end of its spectral band');
          nz[2 * blk + (k >> 5)] |= 1 << (k & 31);
        }
      }
    }
    if (this.eobrun > 0) {
      for (; k <= se; k++) if (isSet(k)) this.bit();
      this.eobrun--;
    }
  }

  /** One block of scan component j; `blk` is its index when the scan has one component. */
  private block(j: number, blk: number): void {
    const { dc, ac, ss, ah } = this.scan;
    if (!this.l.progressive) this.baseline(dc[j], ac[j]);
    else if (ss === 0 && ah === 0) this.dcDiff(dc[j]);
    else if (ss === 0) this.bit();
    else {
      const nz = this.nonzeroOf(this.scan.components[j]);
      if (ah === 0) this.acFirst(ac[j], nz, blk);
      else this.acRefine(ac[j], nz, blk);
    }
  }

  private decodeMcu(): void {
    const comps = this.scan.components;
    if (comps.length === 1) {
      this.block(0, this.mcu);
      return;
    }
    comps.forEach((ci, j) => {
      const { h, v } = this.l.components[ci];
      for (let n = 0; n < h * v; n++) this.block(j, -1);
    });
  }

  /**
   * After an interval: the spare bits of the last byte, and any whole bytes
   * of 1-bits (stuffed 0xFF00), are padding; the marker must follow them.
   */
  private endInterval(): void {
    const { b } = this;
    let unused = 0;
    for (let k = (this.accBits >> 3) - 1; k >= 0; k--) {
      if (unused > 0 || ((this.acc >> (8 * k)) & 0xff) !== 0xff) unused++;
    }
    this.acc = 0;
    this.accBits = 0;
    this.atMarker = false;
    if (unused === 0) while (b[this.pos] === 0xff && b[this.pos + 1] === 0) this.pos += 2;
    for (; !(b[this.pos] === 0xff && b[this.pos + 1] !== 0); unused++) {
      this.pos += b[this.pos] === 0xff ? 2 : 1;
    }
    if (unused > 0) throw this.bad(`${unused} unused bytes before a marker`);
  }

  private checkScan(): void {
    const { scan, l } = this;
    if (scan.components.length === 1) {
      [this.mcusPerLine, this.mcuRows] = componentBlocks(l, scan.components[0]);
    } else {
      this.mcusPerLine = Math.ceil(l.width / (8 * l.maxH));
      this.mcuRows = Math.ceil(l.height / (8 * l.maxV));
    }
    const total = this.mcusPerLine * this.mcuRows;
    const interval = scan.restartInterval > 0 ? scan.restartInterval : total;
    this.pos = scan.start;
    this.acc = 0;
    this.accBits = 0;
    this.atMarker = false;
    let rst = 0;
    for (this.mcu = 0; this.mcu < total;) {
      this.eobrun = 0;
      const stop = Math.min(total, this.mcu + interval);
      for (; this.mcu < stop; this.mcu++) this.decodeMcu();
      this.endInterval();
      if (this.mcu < total) {
        if (this.b[this.pos + 1] !== 0xd0 + rst)
          throw this.bad('a missing or out-of-order restart marker');
        this.pos += 2;
        rst = (rst + 1) & 7;
      }
    }
    // One restart marker after the last interval is tolerated.
    if (this.pos < scan.end && isRst(this.b[this.pos + 1])) this.pos += 2;
    if (this.pos !== scan.end) throw this.bad(`${scan.end - this.pos} bytes after the last block`);
  }
}

/** Memory jpeg-js may count for this image: blocks, component planes, output, tables. */
function jpegMemoryMiB(l: JpegLayout, fileBytes: number): number {
  const mcusPerLine = Math.ceil(l.width / (8 * l.maxH));
  const mcuRows = Math.ceil(l.height / (8 * l.maxV));
  const blocks = l.components.reduce((n, c) => n + mcusPerLine * c.h * mcuRows * c.v, 0);
  const pixels = l.width * l.height;
  const bytes = blocks * (256 + 64) + pixels * (l.components.length + 3) + 4 * fileBytes;
  return bytes / 2 ** 20 + 1;
}

function decodeJpeg(bytes: Uint8Array, path: string): LibraryPixels {
  const layout = scanJpeg(bytes, path);
  new JpegDataCheck(bytes, layout, path).run();
  const image = bytes.subarray(0, layout.end);
  const img = library('JPEG', path, () =>
    jpeg.decode(image, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
      maxMemoryUsageInMB: jpegMemoryMiB(layout, layout.end),
    }),
  );
  return { width: img.width, height: img.height, data: img.data, stride: 3 };
}

// ---------------------------------------------------------------- both

/** RGBA or RGB (stride 4 or 3) to `channels`; alpha composites over black. */
function pack(src: Uint8Array, stride: 3 | 4, n: number, channels: 1 | 3): Uint8Array {
  const out = new Uint8Array(n * channels);
  for (let p = 0; p < n; p++) {
    const a = stride === 4 ? src[4 * p + 3] / 255 : 1;
    const r = src[stride * p] * a;
    const g = src[stride * p + 1] * a;
    const b = src[stride * p + 2] * a;
    if (channels === 1) out[p] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    else {
      out[3 * p] = Math.round(r);
      out[3 * p + 1] = Math.round(g);
      out[3 * p + 2] = Math.round(b);
    }
  }
  return out;
}

/**
 * Decodes an image whose header was already checked (readImageHeader), into
 * the given number of channels (colour -> grey by BT.601 luma). Bytes after
 * the PNG's IEND or the JPEG's EOI are ignored.
 */
export function decodeImage(
  bytes: Buffer,
  header: ImageHeader,
  channels: 1 | 3,
  path: string,
): DecodedImage {
  const { width, height, data, stride } =
    header.format === 'png' ? decodePng(bytes, path) : decodeJpeg(bytes, path);
  if (width !== header.width || height !== header.height || data.length < width * height * stride) {
    throw new InputFileError(
      `${path}: decoded size does not match its header; the file is corrupt`,
    );
  }
  return { width, height, channels, pixels: pack(data, stride, width * height, channels) };
}
