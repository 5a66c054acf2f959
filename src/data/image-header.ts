/**
 * Reads the size and colour kind of a PNG or JPEG from its header, without
 * decoding, so that forged dimensions are refused before any pixel buffer is
 * allocated and a folder's common shape is known before decoding it. The
 * whole file's structure is checked too (PNG chunks and their CRCs, JPEG
 * markers and tables, IEND / EOI present), in one bounded pass.
 */
import { crc32 } from '../codec/container/crc32.js';
import { InputFileError } from '../errors.js';

export interface ImageHeader {
  readonly format: 'png' | 'jpeg';
  readonly width: number;
  readonly height: number;
  /** 1 for greyscale sources, 3 for colour ones (RGB, palette, CMYK...). */
  readonly channels: 1 | 3;
}

/** Largest side and pixel count an image may claim. */
export const MAX_IMAGE_SIDE = 16384;
export const MAX_IMAGE_PIXELS = 64 * 2 ** 20;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function checkSize(path: string, width: number, height: number): void {
  if (width < 1 || height < 1) throw corrupt(path, `image claims size ${width}x${height}`);
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width * height > MAX_IMAGE_PIXELS) {
    throw new InputFileError(
      `${path}: image is ${width}x${height}, larger than the ${MAX_IMAGE_SIDE}-pixel side / 64-megapixel limit; shrink it first`,
    );
  }
}

/** The file is damaged: says what is wrong and what to do. */
function corrupt(path: string, problem: string): InputFileError {
  return new InputFileError(`${path}: ${problem}; the file is corrupt, replace it`);
}

function truncated(path: string, problem: string): InputFileError {
  return new InputFileError(`${path}: ${problem}; the file is truncated, replace it`);
}

function u16(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

function pngHeader(b: Uint8Array, path: string): ImageHeader {
  // signature(8) + length(4) + "IHDR"(4) + width(4) + height(4) + depth(1) + colour type(1)
  if (b.length < 26 || String.fromCharCode(b[12], b[13], b[14], b[15]) !== 'IHDR') {
    throw corrupt(path, 'PNG header is truncated or lacks IHDR');
  }
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const width = v.getUint32(16, false);
  const height = v.getUint32(20, false);
  checkSize(path, width, height);
  const colourType = b[25];
  return { format: 'png', width, height, channels: colourType === 0 || colourType === 4 ? 1 : 3 };
}

function isSof(m: number): boolean {
  return m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
}

function jpegHeader(b: Uint8Array, path: string): ImageHeader {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) throw corrupt(path, `JPEG marker expected at byte ${i}`);
    while (i < b.length && b[i] === 0xff) i++;
    if (i >= b.length) break;
    const m = b[i++];
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd8)) continue;
    if (m === 0xd9 || m === 0xda) break; // end of image / start of scan before any frame header
    if (i + 2 > b.length) break;
    const len = (b[i] << 8) | b[i + 1];
    if (len < 2) throw corrupt(path, `JPEG segment length ${len} at byte ${i}`);
    if (isSof(m)) {
      if (i + 8 > b.length) break;
      const height = (b[i + 3] << 8) | b[i + 4];
      const width = (b[i + 5] << 8) | b[i + 6];
      if (height === 0)
        throw new InputFileError(`${path}: JPEG with height defined later (DNL) is not supported`);
      checkSize(path, width, height);
      return { format: 'jpeg', width, height, channels: b[i + 7] === 1 ? 1 : 3 };
    }
    i += len;
  }
  throw new InputFileError(
    `${path}: JPEG has no frame header; the file is truncated or corrupt, replace it`,
  );
}

// ---------------------------------------------------------------- PNG chunks

export interface PngLayout {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly colourType: number;
  readonly interlaced: boolean;
  /** The data of the IDAT chunks, in file order. */
  readonly idat: readonly Uint8Array[];
  /** Offset just past the IEND chunk; bytes after it are not part of the image. */
  readonly end: number;
}

type PngIhdr = Omit<PngLayout, 'idat' | 'end'>;

/** Bit depths each PNG colour type allows. */
const PNG_DEPTHS: Readonly<Record<number, readonly number[]>> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

/** Samples per pixel of each PNG colour type. */
export const PNG_SAMPLES: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function pngChunkType(b: Uint8Array, at: number): string | null {
  for (let k = at; k < at + 4; k++) {
    const c = b[k] | 0x20;
    if (c < 0x61 || c > 0x7a) return null;
  }
  return String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
}

function parseIhdr(d: Uint8Array, path: string): PngIhdr {
  if (d.length !== 13) throw corrupt(path, `PNG IHDR chunk has ${d.length} bytes, not 13`);
  const [bitDepth, colourType, compression, filter, interlace] = d.subarray(8);
  if (!(PNG_DEPTHS[colourType] ?? []).includes(bitDepth))
    throw corrupt(
      path,
      `PNG has colour type ${colourType} with bit depth ${bitDepth}, which is invalid`,
    );
  if (compression !== 0 || filter !== 0 || interlace > 1)
    throw corrupt(path, `PNG IHDR names an unknown compression, filter or interlace method`);
  return { width: u32(d, 0), height: u32(d, 4), bitDepth, colourType, interlaced: interlace === 1 };
}

/**
 * Walks the chunks of a PNG up to IEND: each must be whole with a good CRC,
 * IHDR first and valid, IDAT present and consecutive, PLTE present for a
 * palette image. Anything after IEND is ignored.
 */
export function scanPng(b: Uint8Array, path: string): PngLayout {
  if (!PNG_SIGNATURE.every((x, k) => b[k] === x)) throw corrupt(path, 'PNG signature is missing');
  let ihdr: PngIhdr | undefined;
  const idat: Uint8Array[] = [];
  let idatDone = false;
  let palette = false;
  for (let at = 8; ;) {
    if (at + 12 > b.length)
      throw truncated(path, `PNG ends at byte ${b.length} without an IEND chunk`);
    const len = u32(b, at);
    const type = pngChunkType(b, at + 4);
    if (type === null) throw corrupt(path, `PNG chunk at byte ${at} has an invalid type`);
    if (len > 0x7fffffff || at + 12 + len > b.length) {
      const have = Math.max(0, b.length - at - 12);
      throw truncated(path, `PNG ${type} chunk at byte ${at} is cut off (${have} of ${len} bytes)`);
    }
    const data = b.subarray(at + 8, at + 8 + len);
    if (crc32(data, crc32(b.subarray(at + 4, at + 8))) !== u32(b, at + 8 + len))
      throw corrupt(path, `PNG ${type} chunk at byte ${at} fails its CRC check`);
    if (type !== 'IDAT' && idat.length > 0) idatDone = true;
    if (type === 'IHDR') {
      if (ihdr !== undefined) throw corrupt(path, `PNG has a second IHDR chunk at byte ${at}`);
      ihdr = parseIhdr(data, path);
    } else if (ihdr === undefined) {
      throw corrupt(path, `PNG starts with a ${type} chunk instead of IHDR`);
    } else if (type === 'IDAT') {
      if (idatDone) throw corrupt(path, `PNG IDAT chunk at byte ${at} is not with the others`);
      idat.push(data);
    } else if (type === 'PLTE') {
      palette = true;
    } else if (type === 'IEND') {
      return finishPng(ihdr, idat, palette, at + 12 + len, path);
    } else if ((b[at + 4] & 0x20) === 0) {
      throw corrupt(path, `PNG has an unknown critical chunk ${type}`);
    }
    at += 12 + len;
  }
}

function finishPng(
  ihdr: PngIhdr,
  idat: Uint8Array[],
  palette: boolean,
  end: number,
  path: string,
): PngLayout {
  if (idat.length === 0) throw corrupt(path, 'PNG has no image data (no IDAT chunk)');
  if (ihdr.colourType === 3 && !palette) throw corrupt(path, 'PNG palette image has no PLTE chunk');
  return { ...ihdr, idat, end };
}

// ---------------------------------------------------------------- JPEG markers

export interface JpegComponent {
  readonly id: number;
  /** Sampling factors. */
  readonly h: number;
  readonly v: number;
  /** Quantization table number. */
  readonly tq: number;
}

/** A Huffman table in the decoding form of ITU T.81 F.2.2.3. */
export interface HuffmanTable {
  /** Largest code of each length 1..16, -1 where there is none. */
  readonly maxCode: Int32Array;
  /** The symbol of code c of length n is symbols[c + valOffset[n]]. */
  readonly valOffset: Int32Array;
  readonly symbols: Uint8Array;
  /**
   * By the next LOOKUP_BITS bits: (code length << 8 | symbol) of a code at
   * most that long, 0 for a longer one.
   */
  readonly lookup: Uint16Array;
}

/** Bits looked up at once when decoding a Huffman code. */
export const LOOKUP_BITS = 8;

export interface JpegScan {
  /** Indices into JpegLayout.components, in scan order. */
  readonly components: readonly number[];
  /** Huffman tables of each scan component (undefined where the scan needs none). */
  readonly dc: readonly (HuffmanTable | undefined)[];
  readonly ac: readonly (HuffmanTable | undefined)[];
  /** Spectral selection and successive approximation. */
  readonly ss: number;
  readonly se: number;
  readonly ah: number;
  readonly al: number;
  /** MCUs per restart interval, 0 for none. */
  readonly restartInterval: number;
  /** The entropy-coded data lies in [start, end); `end` is the marker after it. */
  readonly start: number;
  readonly end: number;
}

export interface JpegLayout {
  readonly width: number;
  readonly height: number;
  readonly progressive: boolean;
  readonly components: readonly JpegComponent[];
  readonly maxH: number;
  readonly maxV: number;
  readonly scans: readonly JpegScan[];
  /** Offset just past EOI; bytes after it are not part of the image. */
  readonly end: number;
}

type JpegFrame = Omit<JpegLayout, 'scans' | 'end'>;

interface JpegState {
  readonly path: string;
  frame?: JpegFrame;
  readonly dc: (HuffmanTable | undefined)[];
  readonly ac: (HuffmanTable | undefined)[];
  readonly quant: boolean[];
  restartInterval: number;
  readonly scans: JpegScan[];
  /** Per component and coefficient: the point transform Al of its last scan, -1 before any. */
  coefAl: Int8Array[];
}

const MARKER_NAMES: Readonly<Record<number, string>> = {
  0xc4: 'DHT',
  0xcc: 'DAC',
  0xd8: 'SOI',
  0xd9: 'EOI',
  0xda: 'SOS',
  0xdb: 'DQT',
  0xdc: 'DNL',
  0xdd: 'DRI',
  0xfe: 'COM',
};

function markerName(m: number): string {
  if (m >= 0xe0 && m <= 0xef) return `APP${m - 0xe0}`;
  if (m >= 0xd0 && m <= 0xd7) return `RST${m - 0xd0}`;
  if (isSof(m)) return `SOF${m - 0xc0}`;
  return MARKER_NAMES[m] ?? `0xFF${m.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** The canonical Huffman table of T.81 C, or null when its code lengths overflow. */
function huffmanTable(counts: Uint8Array, symbols: Uint8Array): HuffmanTable | null {
  const maxCode = new Int32Array(17).fill(-1);
  const valOffset = new Int32Array(17);
  const lookup = new Uint16Array(1 << LOOKUP_BITS);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1];
    valOffset[len] = k - code;
    // The all-ones code of each length is reserved.
    if (n > 0 && code + n >= 2 ** len) return null;
    for (let j = 0; j < n && len <= LOOKUP_BITS; j++) {
      const shift = LOOKUP_BITS - len;
      lookup.fill((len << 8) | symbols[k + j], (code + j) << shift, (code + j + 1) << shift);
    }
    code += n;
    k += n;
    if (n > 0) maxCode[len] = code - 1;
    code *= 2;
  }
  return { maxCode, valOffset, symbols, lookup };
}

function parseDht(st: JpegState, seg: Uint8Array, pos: number): void {
  for (let i = 0; i < seg.length;) {
    const tc = seg[i] >> 4;
    const th = seg[i] & 15;
    const counts = seg.subarray(i + 1, i + 17);
    const total = counts.reduce((a, n) => a + n, 0);
    const table =
      tc <= 1 && th <= 3 && i + 17 + total <= seg.length && total <= 256
        ? huffmanTable(counts, seg.subarray(i + 17, i + 17 + total))
        : null;
    if (table === null)
      throw corrupt(st.path, `JPEG Huffman table segment at byte ${pos} is invalid`);
    (tc === 0 ? st.dc : st.ac)[th] = table;
    i += 17 + total;
  }
}

function parseDqt(st: JpegState, seg: Uint8Array, pos: number): void {
  for (let i = 0; i < seg.length;) {
    const pq = seg[i] >> 4;
    const tq = seg[i] & 15;
    const size = 1 + 64 * (pq + 1);
    if (pq > 1 || tq > 3 || i + size > seg.length)
      throw corrupt(st.path, `JPEG quantization table segment at byte ${pos} is invalid`);
    st.quant[tq] = true;
    i += size;
  }
}

function sofCoding(m: number): string {
  if (m & 8) return 'arithmetic';
  if ((m & 3) === 3) return 'lossless';
  return 'hierarchical';
}

function parseSof(st: JpegState, seg: Uint8Array, m: number, pos: number): void {
  const { path } = st;
  if (st.frame !== undefined) throw corrupt(path, `JPEG has a second frame header at byte ${pos}`);
  if (m > 0xc2) {
    throw new InputFileError(
      `${path}: JPEG uses ${sofCoding(m)} coding, which is not supported; convert it to a baseline or progressive JPEG`,
    );
  }
  const nf = seg[5];
  if (seg.length < 6 || seg.length !== 6 + 3 * nf)
    throw corrupt(path, `JPEG frame header at byte ${pos} has the wrong length`);
  if (seg[0] !== 8) {
    throw new InputFileError(
      `${path}: JPEG has ${seg[0]}-bit samples; only 8-bit JPEG is supported, convert it`,
    );
  }
  const height = u16(seg, 1);
  const width = u16(seg, 3);
  if (height === 0)
    throw new InputFileError(`${path}: JPEG with height defined later (DNL) is not supported`);
  checkSize(path, width, height);
  if (nf !== 1 && nf !== 3 && nf !== 4) {
    throw new InputFileError(
      `${path}: JPEG has ${nf} colour components; only 1 (grey), 3 (colour) or 4 (CMYK) are supported, convert it`,
    );
  }
  const components: JpegComponent[] = [];
  for (let c = 0; c < nf; c++) {
    const [id, hv, tq] = seg.subarray(6 + 3 * c, 9 + 3 * c);
    const h = hv >> 4;
    const v = hv & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4 || tq > 3 || components.some((x) => x.id === id))
      throw corrupt(path, `JPEG frame header at byte ${pos} has an invalid component`);
    components.push({ id, h, v, tq });
  }
  const maxH = Math.max(...components.map((c) => c.h));
  const maxV = Math.max(...components.map((c) => c.v));
  if (components.some((c) => maxH % c.h !== 0 || maxV % c.v !== 0)) {
    const f = components.map((c) => `${c.h}x${c.v}`).join(', ');
    throw new InputFileError(
      `${path}: JPEG uses sampling factors ${f}, which are not supported; convert it`,
    );
  }
  st.frame = { width, height, progressive: m === 0xc2, components, maxH, maxV };
  st.coefAl = components.map(() => new Int8Array(64).fill(-1));
}

/** Checks that a scan's spectral band and approximation fit what earlier scans sent. */
function checkProgression(
  st: JpegState,
  frame: JpegFrame,
  scan: Pick<JpegScan, 'components' | 'ss' | 'se' | 'ah' | 'al'>,
  pos: number,
): void {
  const { ss, se, ah, al } = scan;
  const bad = (why: string) => corrupt(st.path, `JPEG scan at byte ${pos} ${why}`);
  if (!frame.progressive) {
    if (ss !== 0 || se !== 63 || ah !== 0 || al !== 0) throw bad('has progressive parameters');
  } else {
    const band = ss === 0 ? se === 0 : se >= ss && se <= 63 && scan.components.length === 1;
    if (!band || al > 13 || (ah !== 0 && al !== ah - 1))
      throw bad('has an invalid spectral band or successive approximation');
  }
  for (const ci of scan.components) {
    const sent = st.coefAl[ci];
    if (!frame.progressive && sent[0] >= 0) throw bad(`scans component ${ci + 1} a second time`);
    if (ss > 0 && sent[0] < 0) throw bad('sends AC coefficients before DC ones');
    for (let k = ss; k <= se; k++) {
      if (ah === 0 ? sent[k] !== -1 : sent[k] !== ah)
        throw bad(`sends coefficient ${k} of component ${ci + 1} out of order`);
      sent[k] = al;
    }
  }
}

function parseSos(st: JpegState, seg: Uint8Array, pos: number): Omit<JpegScan, 'start' | 'end'> {
  const { path, frame } = st;
  if (frame === undefined)
    throw corrupt(path, `JPEG scan at byte ${pos} comes before the frame header`);
  const ns = seg[0];
  if (ns < 1 || ns > 4 || seg.length !== 4 + 2 * ns)
    throw corrupt(path, `JPEG scan header at byte ${pos} has the wrong length`);
  const components: number[] = [];
  const dc: (HuffmanTable | undefined)[] = [];
  const ac: (HuffmanTable | undefined)[] = [];
  for (let j = 0; j < ns; j++) {
    const ci = frame.components.findIndex((c) => c.id === seg[1 + 2 * j]);
    const tables = seg[2 + 2 * j];
    if (ci < 0 || components.includes(ci) || tables >> 4 > 3 || (tables & 15) > 3)
      throw corrupt(path, `JPEG scan at byte ${pos} names an unknown or repeated component`);
    components.push(ci);
    dc.push(st.dc[tables >> 4]);
    ac.push(st.ac[tables & 15]);
  }
  const [ss, se, a] = seg.subarray(1 + 2 * ns);
  const scan = { components, dc, ac, ss, se, ah: a >> 4, al: a & 15 };
  const needDc = !frame.progressive || (ss === 0 && scan.ah === 0);
  const needAc = !frame.progressive || ss > 0;
  if ((needDc && dc.some((t) => t === undefined)) || (needAc && ac.some((t) => t === undefined)))
    throw corrupt(path, `JPEG scan at byte ${pos} uses a Huffman table that is not defined`);
  const blocks = components.reduce(
    (n, ci) => n + frame.components[ci].h * frame.components[ci].v,
    0,
  );
  if (ns > 1 && blocks > 10)
    throw corrupt(path, `JPEG scan at byte ${pos} has ${blocks} blocks per MCU, over 10`);
  checkProgression(st, frame, scan, pos);
  return { ...scan, restartInterval: st.restartInterval };
}

/**
 * The offset of the marker that ends entropy-coded data starting at `at`
 * (restart markers and stuffed 0xFF00 bytes belong to the data), or -1 when
 * the file ends first.
 */
function scanDataEnd(b: Uint8Array, at: number): number {
  for (let i = at; i + 1 < b.length; i++) {
    if (b[i] !== 0xff) continue;
    const n = b[i + 1];
    if (n !== 0 && (n < 0xd0 || n > 0xd7)) return i;
    i++;
  }
  return -1;
}

function finishJpeg(st: JpegState, end: number): JpegLayout {
  const { path, frame, scans } = st;
  if (frame === undefined)
    throw new InputFileError(
      `${path}: JPEG has no frame header; the file is truncated or corrupt, replace it`,
    );
  if (scans.length === 0) throw corrupt(path, 'JPEG has no image data (no scan)');
  frame.components.forEach((c, ci) => {
    if (!st.quant[c.tq])
      throw corrupt(
        path,
        `JPEG component ${ci + 1} uses quantization table ${c.tq}, never defined`,
      );
    if (st.coefAl[ci][0] < 0)
      throw corrupt(path, `JPEG image data is incomplete: component ${ci + 1} has no scan`);
  });
  return { ...frame, scans, end };
}

/** Handles one marker segment; returns the offset after it (and after a scan's data). */
function jpegSegment(st: JpegState, b: Uint8Array, m: number, pos: number): number {
  const { path } = st;
  const at = pos + 2;
  if (at + 2 > b.length)
    throw truncated(path, `JPEG ${markerName(m)} segment at byte ${pos} is cut off`);
  const len = u16(b, at);
  if (len < 2) throw corrupt(path, `JPEG segment length ${len} at byte ${at}`);
  if (at + len > b.length)
    throw truncated(path, `JPEG ${markerName(m)} segment at byte ${pos} is cut off`);
  const seg = b.subarray(at + 2, at + len);
  const next = at + len;
  if (isSof(m)) parseSof(st, seg, m, pos);
  else if (m === 0xc4) parseDht(st, seg, pos);
  else if (m === 0xdb) parseDqt(st, seg, pos);
  else if (m === 0xdd) {
    if (seg.length !== 2)
      throw corrupt(path, `JPEG restart interval segment at byte ${pos} is invalid`);
    st.restartInterval = u16(seg, 0);
  } else if (m === 0xda) {
    const scan = parseSos(st, seg, pos);
    const end = scanDataEnd(b, next);
    if (end < 0)
      throw truncated(
        path,
        `JPEG ends inside scan ${st.scans.length + 1} without an end-of-image marker`,
      );
    st.scans.push({ ...scan, start: next, end });
    return end;
  } else if (m === 0xcc) {
    throw new InputFileError(
      `${path}: JPEG uses arithmetic coding, which is not supported; convert it to a baseline or progressive JPEG`,
    );
  } else if (!(m >= 0xe0 && m <= 0xef) && m !== 0xfe && m !== 0xdc) {
    throw corrupt(path, `JPEG has an unknown marker ${markerName(m)} at byte ${pos}`);
  }
  return next;
}

/**
 * Walks the markers of a JPEG from SOI to EOI: every segment whole, one
 * supported frame header, valid Huffman and quantization tables, scans whose
 * progression fits together and whose entropy-coded data is followed by a
 * marker, every component scanned. Anything after EOI is ignored. The
 * entropy-coded data itself is checked when decoding.
 */
export function scanJpeg(b: Uint8Array, path: string): JpegLayout {
  if (b[0] !== 0xff || b[1] !== 0xd8) throw corrupt(path, 'JPEG start-of-image marker is missing');
  const st: JpegState = {
    path,
    dc: [],
    ac: [],
    quant: [],
    restartInterval: 0,
    scans: [],
    coefAl: [],
  };
  for (let at = 2; ;) {
    if (at >= b.length)
      throw truncated(path, `JPEG ends at byte ${b.length} without an end-of-image marker (EOI)`);
    if (b[at] !== 0xff) throw corrupt(path, `JPEG marker expected at byte ${at}`);
    while (at + 1 < b.length && b[at + 1] === 0xff) at++;
    if (at + 1 >= b.length)
      throw truncated(path, `JPEG ends at byte ${b.length} without an end-of-image marker (EOI)`);
    const m = b[at + 1];
    if (m === 0xd9) return finishJpeg(st, at + 2);
    if (m === 0x01) at += 2;
    else if (m === 0x00 || (m >= 0xd0 && m <= 0xd8))
      throw corrupt(path, `JPEG has a stray ${markerName(m)} marker at byte ${at}`);
    else at = jpegSegment(st, b, m, at);
  }
}

/** Sniffs the format from the magic bytes; anything else is an InputFileError. */
export function readImageHeader(b: Uint8Array, path: string): ImageHeader {
  if (b.length >= 8 && PNG_SIGNATURE.every((x, k) => b[k] === x)) {
    const header = pngHeader(b, path);
    scanPng(b, path);
    return header;
  }
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    const header = jpegHeader(b, path);
    scanJpeg(b, path);
    return header;
  }
  throw new InputFileError(
    `${path}: neither a PNG nor a JPEG (unknown magic bytes); remove it or convert it`,
  );
}
