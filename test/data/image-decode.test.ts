import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { crc32 } from '../../src/codec/container/crc32.js';
import { InputFileError } from '../../src/errors.js';
import { decodeImage } from '../../src/data/image-decode.js';
import { readImageHeader, type ImageHeader } from '../../src/data/image-header.js';
import { loadRawDataset } from '../../src/data/source.js';
import { jpegBytes, pngBytes, tempDir, writeFile } from './helpers.js';

// ---------------------------------------------------------------- helpers

const colour = (x: number, y: number): [number, number, number] => [
  (x * 37 + y * 11) & 0xff,
  (x * 5 + y * 71) & 0xff,
  (x * y * 3) & 0xff,
];

/** A 20x28 RGBA PNG and a 32x24 colour JPEG with varied pixels. */
const PNG_GOOD = Buffer.from(pngBytes(20, 28, colour));
const JPEG_GOOD = Buffer.from(jpegBytes(32, 24, colour));
const PNG_ROW = 1 + 20 * 4;

/** readImageHeader then decodeImage, as the dataset readers do. */
function load(bytes: Uint8Array, path: string) {
  const b = Buffer.from(bytes);
  return decodeImage(b, readImageHeader(b, path), 3, path);
}

/** Both ways in (with and without readImageHeader) refuse `bytes` with a one-line InputFileError. */
function refused(bytes: Uint8Array, path: string, message: RegExp): void {
  const isRefusal = (e: unknown) =>
    e instanceof InputFileError &&
    e.message.startsWith(`${path}: `) &&
    message.test(e.message) &&
    !e.message.includes('\n');
  const good = path.endsWith('.png') ? PNG_GOOD : JPEG_GOOD;
  const header: ImageHeader = readImageHeader(good, path);
  assert.throws(() => load(bytes, path), isRefusal);
  assert.throws(() => decodeImage(Buffer.from(bytes), header, 3, path), isRefusal);
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))), 0);
  return Buffer.concat([head, data, crc]);
}

interface Chunk {
  readonly type: string;
  readonly at: number;
  readonly data: Buffer;
}

function pngChunks(b: Buffer): Chunk[] {
  const out: Chunk[] = [];
  for (let at = 8; at < b.length;) {
    const len = b.readUInt32BE(at);
    out.push({
      type: b.toString('latin1', at + 4, at + 8),
      at,
      data: b.subarray(at + 8, at + 8 + len),
    });
    at += 12 + len;
  }
  return out;
}

const SIGNATURE_AND_IHDR = PNG_GOOD.subarray(0, 8 + 12 + 13);
const IDAT = pngChunks(PNG_GOOD).find((c) => c.type === 'IDAT') as Chunk;
const IEND = pngChunk('IEND', Buffer.alloc(0));
const RAW_ROWS = inflateSync(IDAT.data);

/** A PNG with the good header and the given chunks between it and IEND. */
function png(...chunks: Buffer[]): Buffer {
  return Buffer.concat([SIGNATURE_AND_IHDR, ...chunks, IEND]);
}

/** `good` with its image data replaced by a complete zlib stream of only its first `rows` rows. */
function firstRowsOnly(good: Buffer, rows: number): Buffer {
  const chunks = pngChunks(good);
  const ihdr = chunks[0].data;
  const rowBytes = 1 + 4 * ihdr.readUInt32BE(0);
  const raw = inflateSync((chunks.find((c) => c.type === 'IDAT') as Chunk).data);
  const idat = pngChunk('IDAT', deflateSync(raw.subarray(0, rows * rowBytes)));
  return Buffer.concat([good.subarray(0, 8), pngChunk('IHDR', ihdr), idat, IEND]);
}

/** Recomputes the CRC of every whole chunk, so that damage reaches what lies past the CRC check. */
function fixCrcs(b: Buffer): Buffer {
  for (let at = 8; at + 12 <= b.length;) {
    const len = b.readUInt32BE(at);
    if (at + 12 + len > b.length) break;
    b.writeUInt32BE(crc32(b.subarray(at + 4, at + 8 + len)), at + 8 + len);
    at += 12 + len;
  }
  return b;
}

/** Offset of the first scan's entropy-coded data (just after its SOS segment). */
function sosEnd(b: Buffer): number {
  for (let at = 2; ;) {
    const m = b[at + 1];
    const len = b.readUInt16BE(at + 2);
    if (m === 0xda) return at + 2 + len;
    at += 2 + len;
  }
}

const SCAN_START = sosEnd(JPEG_GOOD);
const EOI = Buffer.from([0xff, 0xd9]);

// ---------------------------------------------------------------- PNG

test('valid PNG and JPEG decode; bytes after IEND / EOI are ignored, never read as image data', () => {
  const png0 = load(PNG_GOOD, 'x.png');
  assert.deepEqual([...png0.pixels.subarray(0, 3)], colour(0, 0));
  const p = 3 * (5 * 20 + 7);
  assert.deepEqual([...png0.pixels.subarray(p, p + 3)], colour(7, 5));
  const otherIdat = pngChunk('IDAT', deflateSync(Buffer.alloc(RAW_ROWS.length, 0)));
  for (const tail of [Buffer.from('trailing bytes\n'), otherIdat, Buffer.alloc(4096)]) {
    assert.deepEqual(load(Buffer.concat([PNG_GOOD, tail]), 'x.png').pixels, png0.pixels);
  }
  const jpeg0 = load(JPEG_GOOD, 'x.jpg');
  for (const tail of [Buffer.from('trailing'), JPEG_GOOD, Buffer.from([0xff, 0xd9, 0xff])]) {
    assert.deepEqual(load(Buffer.concat([JPEG_GOOD, tail]), 'x.jpg').pixels, jpeg0.pixels);
  }
});

test('a PNG without image data (no IDAT chunk) is refused', () => {
  refused(png(), 'x.png', /PNG has no image data \(no IDAT chunk\)/);
  refused(png(pngChunk('IDAT', Buffer.alloc(0))), 'x.png', /PNG has no image data/);
});

test('a PNG whose zlib stream holds only half its rows is refused, naming the rows', () => {
  const half = firstRowsOnly(PNG_GOOD, 14);
  refused(
    half,
    'x.png',
    /^x\.png: PNG image data is short: 14 of 28 rows; the file is truncated or corrupt, replace it$/,
  );
  const partRow = png(pngChunk('IDAT', deflateSync(RAW_ROWS.subarray(0, 14 * PNG_ROW + 5))));
  refused(partRow, 'x.png', /PNG image data is short: 14 of 28 rows/);
});

test('a PNG whose zlib stream is cut off is refused', () => {
  const cut = png(pngChunk('IDAT', IDAT.data.subarray(0, IDAT.data.length >> 1)));
  refused(cut, 'x.png', /PNG image data is cut off: its zlib stream ends after \d+ of 28 rows/);
  const noChecksum = png(pngChunk('IDAT', IDAT.data.subarray(0, IDAT.data.length - 4)));
  refused(noChecksum, 'x.png', /PNG image data is cut off/);
});

test('a truncated PNG file is refused, wherever it is cut', () => {
  refused(
    PNG_GOOD.subarray(0, IDAT.at + 40),
    'x.png',
    /PNG IDAT chunk at byte 33 is cut off .*truncated/,
  );
  refused(PNG_GOOD.subarray(0, 30), 'x.png', /PNG (ends at byte 30|.*cut off)/);
  for (let n = 26; n < PNG_GOOD.length; n += 7) {
    assert.throws(() => load(PNG_GOOD.subarray(0, n), 'x.png'), InputFileError);
  }
});

test('a PNG chunk with a bad CRC is refused, critical or not', () => {
  const flipped = Buffer.from(PNG_GOOD);
  flipped[IDAT.at + 8 + 10] ^= 0x04;
  refused(flipped, 'x.png', /PNG IDAT chunk at byte 33 fails its CRC check; the file is corrupt/);
  const text = pngChunk('tEXt', Buffer.from('Comment\0hello'));
  text[text.length - 1] ^= 1;
  refused(
    png(text, pngChunk('IDAT', IDAT.data)),
    'x.png',
    /PNG tEXt chunk at byte 33 fails its CRC/,
  );
});

test('a PNG without IEND is refused', () => {
  refused(
    PNG_GOOD.subarray(0, PNG_GOOD.length - 12),
    'x.png',
    /PNG ends at byte \d+ without an IEND chunk; the file is truncated/,
  );
});

test('other PNG image-data damage is refused: too many rows, bad checksum, bad filter, leftovers, split IDAT', () => {
  const long = png(pngChunk('IDAT', deflateSync(Buffer.concat([RAW_ROWS, RAW_ROWS]))));
  refused(long, 'x.png', /PNG image data is longer than its 20x28 header allows/);
  const adler = Buffer.from(IDAT.data);
  adler[adler.length - 1] ^= 1;
  refused(
    png(pngChunk('IDAT', adler)),
    'x.png',
    /not a valid zlib stream \(incorrect data check\)/,
  );
  const filters = Buffer.from(RAW_ROWS);
  filters[3 * PNG_ROW] = 9;
  refused(png(pngChunk('IDAT', deflateSync(filters))), 'x.png', /PNG row 4 has filter type 9/);
  const leftover = Buffer.concat([IDAT.data, Buffer.from('xyz')]);
  refused(png(pngChunk('IDAT', leftover)), 'x.png', /3 bytes after the end of its zlib stream/);
  const h = IDAT.data.length >> 1;
  const text = pngChunk('tEXt', Buffer.from('k\0v'));
  const a = pngChunk('IDAT', IDAT.data.subarray(0, h));
  const b = pngChunk('IDAT', IDAT.data.subarray(h));
  refused(png(a, text, b), 'x.png', /PNG IDAT chunk at byte \d+ is not with the others/);
  assert.deepEqual(load(png(a, b), 'x.png').pixels, load(PNG_GOOD, 'x.png').pixels);
});

/** A 5x5 8-bit grey interlaced PNG: Adam7 passes with filter type 0. */
function interlacedGrey(value: (x: number, y: number) => number): { bytes: Buffer; raw: Buffer } {
  const passes = [
    [0, 0, 8, 8],
    [4, 0, 8, 8],
    [0, 4, 4, 8],
    [2, 0, 4, 4],
    [0, 2, 2, 4],
    [1, 0, 2, 2],
    [0, 1, 1, 2],
  ];
  const rows: number[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    if (x0 >= 5 || y0 >= 5) continue;
    for (let y = y0; y < 5; y += dy) {
      rows.push(0);
      for (let x = x0; x < 5; x += dx) rows.push(value(x, y));
    }
  }
  const raw = Buffer.from(rows);
  const ihdr = Buffer.from([0, 0, 0, 5, 0, 0, 0, 5, 8, 0, 0, 0, 1]);
  const bytes = Buffer.concat([
    PNG_GOOD.subarray(0, 8),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    IEND,
  ]);
  return { bytes, raw };
}

test('an interlaced PNG decodes; one with short image data is refused, counting rows over all passes', () => {
  const { bytes, raw } = interlacedGrey((x, y) => 10 * y + x);
  const img = decodeImage(bytes, readImageHeader(bytes, 'i.png'), 1, 'i.png');
  assert.deepEqual(
    [...img.pixels],
    Array.from({ length: 25 }, (_, i) => 10 * Math.floor(i / 5) + (i % 5)),
  );
  const ihdr = bytes.subarray(8, 8 + 25);
  const short = Buffer.concat([
    bytes.subarray(0, 8),
    ihdr,
    pngChunk('IDAT', deflateSync(raw.subarray(0, 20))),
    IEND,
  ]);
  // the passes hold 1, 1, 1, 2, 1, 3, 2 rows of 2, 2, 3, 2, 4, 3, 6 bytes: 20 bytes are 7 whole rows
  refused(short, 'i.png', /PNG image data is short: 7 of 11 rows/);
});

// ---------------------------------------------------------------- JPEG

test('a JPEG cut off inside its scan data or missing EOI is refused', () => {
  const half = JPEG_GOOD.subarray(0, (SCAN_START + JPEG_GOOD.length) >> 1);
  refused(
    half,
    'x.jpg',
    /^x\.jpg: JPEG ends inside scan 1 without an end-of-image marker; the file is truncated, replace it$/,
  );
  refused(
    JPEG_GOOD.subarray(0, JPEG_GOOD.length - 2),
    'x.jpg',
    /JPEG ends inside scan 1 without an end-of-image marker/,
  );
  refused(JPEG_GOOD.subarray(0, JPEG_GOOD.length - 1), 'x.jpg', /JPEG ends inside scan 1/);
  refused(
    JPEG_GOOD.subarray(0, SCAN_START - 14),
    'x.jpg',
    /JPEG ends at byte \d+ without an end-of-image marker \(EOI\)/,
  );
  for (let n = 200; n < JPEG_GOOD.length; n += 13) {
    assert.throws(() => load(JPEG_GOOD.subarray(0, n), 'x.jpg'), InputFileError);
  }
});

test('a JPEG whose scan data was cut and then closed with EOI is refused, naming the block rows', () => {
  const cut = Buffer.concat([JPEG_GOOD.subarray(0, SCAN_START + 200), EOI]);
  refused(
    cut,
    'x.jpg',
    /^x\.jpg: JPEG image data is short: scan 1 of 1 stops after \d of 3 block rows; the file is truncated or corrupt, replace it$/,
  );
  const noScan = Buffer.concat([JPEG_GOOD.subarray(0, SCAN_START - 14), EOI]);
  refused(noScan, 'x.jpg', /JPEG has no image data \(no scan\)/);
});

test('a JPEG whose entropy-coded data is damaged is refused', () => {
  // 1-bits throughout: no valid Huffman code of the standard tables
  const ones = Buffer.from(JPEG_GOOD);
  for (let i = 0; i < 8; i += 2) ones.set([0xff, 0x00], SCAN_START + i);
  refused(
    ones,
    'x.jpg',
    /JPEG image data is corrupt: an invalid Huffman code in scan 1 near byte \d+/,
  );
  const extra = Buffer.concat([JPEG_GOOD.subarray(0, -2), Buffer.from('garbage'), EOI]);
  refused(extra, 'x.jpg', /JPEG image data is corrupt: 7 unused bytes before a marker/);
  const stray = Buffer.from(JPEG_GOOD);
  stray.set([0xff, 0xd3], SCAN_START + 100);
  refused(stray, 'x.jpg', /JPEG image data is (short|corrupt)/);
});

/** A JPEG marker segment with a short body. */
const seg = (m: number, body: number[]) => [0xff, m, 0, body.length + 2, ...body];
/** A DC (0) or AC (1) Huffman table whose one code '0' means "nothing": difference 0 / EOB. */
const oneCodeTable = (tc: number) => [tc << 4, 1, ...new Array<number>(15).fill(0), 0];
const FLAT_DQT = seg(0xdb, [0, ...new Array<number>(64).fill(1)]);

/** A progressive 8x8 grey JPEG: a DC scan (data `dc`, or none) and an all-EOB AC scan. */
function progressiveGrey(dc: number[] | null, ac = true): Buffer {
  return Buffer.from([
    ...[0xff, 0xd8],
    ...FLAT_DQT,
    ...seg(0xc2, [8, 0, 8, 0, 8, 1, 1, 0x11, 0]),
    ...seg(0xc4, [...oneCodeTable(0), ...oneCodeTable(1)]),
    ...(dc === null ? [] : [...seg(0xda, [1, 1, 0x00, 0, 0, 0]), ...dc]),
    ...(ac ? [...seg(0xda, [1, 1, 0x00, 1, 63, 0]), 0x7f] : []),
    ...[0xff, 0xd9],
  ]);
}

test('a progressive JPEG decodes; scans out of order or missing, or bad codes, are refused', () => {
  const good = progressiveGrey([0x7f]);
  const img = decodeImage(good, readImageHeader(good, 'p.jpg'), 1, 'p.jpg');
  assert.deepEqual([...new Set(img.pixels)], [128]);
  const dcOnly = progressiveGrey([0x7f], false);
  assert.deepEqual(
    decodeImage(dcOnly, readImageHeader(dcOnly, 'p.jpg'), 1, 'p.jpg').pixels,
    img.pixels,
  );
  assert.throws(
    () => readImageHeader(progressiveGrey(null), 'p.jpg'),
    /sends AC coefficients before DC ones/,
  );
  assert.throws(() => readImageHeader(progressiveGrey(null, false), 'p.jpg'), /no image data/);
  // the one DC code is '0': sixteen 1-bits are no code at all
  const header = readImageHeader(good, 'p.jpg');
  assert.throws(
    () => decodeImage(progressiveGrey([0xfe, 0xfe]), header, 1, 'p.jpg'),
    /p\.jpg: JPEG image data is corrupt: an invalid Huffman code in scan 1 near byte \d+/,
  );
  assert.throws(
    () => decodeImage(progressiveGrey([0x7f, 0x12]), header, 1, 'p.jpg'),
    /JPEG image data is corrupt: 1 unused bytes before a marker/,
  );
});

// ---------------------------------------------------------------- both

test('images:DIR refuses a folder holding one PNG with half its rows, naming that file', (t) => {
  const dir = tempDir(t);
  const grey = (v: number) => () => [v, v, v] as [number, number, number];
  for (let i = 0; i < 3; i++) {
    writeFile(join(dir, `a/${i}.png`), pngBytes(6, 8, grey(50)));
    writeFile(join(dir, `b/${i}.png`), pngBytes(6, 8, grey(90)));
  }
  const bad = join(dir, 'b/half.png');
  writeFile(bad, firstRowsOnly(Buffer.from(pngBytes(6, 8, grey(90))), 4));
  assert.throws(
    () => loadRawDataset(`images:${dir}`),
    (e: unknown) =>
      e instanceof InputFileError &&
      e.message.startsWith(`${bad}: PNG image data is short: 4 of 8 rows;`) &&
      !e.message.includes('\n'),
  );
});

test('property: truncated or bit-flipped PNGs and JPEGs decode or give an InputFileError, quickly', () => {
  const images = [
    Buffer.from(pngBytes(12, 10, colour)),
    Buffer.from(jpegBytes(24, 16, colour)),
    progressiveGrey([0x7f]),
  ];
  const headers = images.map((b) => readImageHeader(b, 'f'));
  const damage = fc.record({
    image: fc.integer({ min: 0, max: images.length - 1 }),
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 4 }),
    cut: fc.option(fc.nat(), { nil: undefined }),
    fixCrcs: fc.boolean(),
  });
  const survives = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof InputFileError)) throw e;
    }
  };
  fc.assert(
    fc.property(damage, ({ image, flips, cut, fixCrcs: fix }) => {
      let b = Buffer.from(images[image]);
      for (const [at, bit] of flips) b[at % b.length] ^= 1 << bit;
      if (cut !== undefined) b = b.subarray(0, cut % (b.length + 1));
      if (fix && image === 0) fixCrcs(b);
      const started = performance.now();
      survives(() => load(b, 'f'));
      survives(() => decodeImage(b, headers[image], 3, 'f'));
      assert.ok(performance.now() - started < 2000, 'decoding took over 2 s');
    }),
    { numRuns: 1000 },
  );
});

/** A baseline 24x8 grey JPEG (three blocks of two bits each), restart interval 2. */
function restartGrey(scan: number[]): Buffer {
  return Buffer.from([
    ...[0xff, 0xd8],
    ...FLAT_DQT,
    ...seg(0xc0, [8, 0, 8, 0, 24, 1, 1, 0x11, 0]),
    ...seg(0xc4, [...oneCodeTable(0), ...oneCodeTable(1)]),
    ...seg(0xdd, [0, 2]),
    ...seg(0xda, [1, 1, 0x00, 0, 63, 0]),
    ...scan,
    ...[0xff, 0xd9],
  ]);
}

test('a JPEG with restart intervals decodes; a missing or out-of-order restart marker is refused', () => {
  const good = restartGrey([0x0f, 0xff, 0xd0, 0x3f]);
  const header = readImageHeader(good, 'r.jpg');
  assert.deepEqual([...new Set(decodeImage(good, header, 1, 'r.jpg').pixels)], [128]);
  const trailingRst = restartGrey([0x0f, 0xff, 0xd0, 0x3f, 0xff, 0xd1]);
  assert.equal(decodeImage(trailingRst, header, 1, 'r.jpg').pixels.length, 24 * 8);
  assert.throws(
    () => decodeImage(restartGrey([0x0f, 0xff, 0xd1, 0x3f]), header, 1, 'r.jpg'),
    /JPEG image data is corrupt: a missing or out-of-order restart marker in scan 1/,
  );
  assert.throws(
    () => decodeImage(restartGrey([0x00, 0x3f]), header, 1, 'r.jpg'),
    /JPEG image data is corrupt: 1 unused bytes before a marker/,
  );
  assert.throws(
    () => decodeImage(restartGrey([0x0f, 0xff, 0xd0]), header, 1, 'r.jpg'),
    /JPEG image data is short: scan 1 of 1 stops after 0 of 1 block rows/,
  );
});
