/** Writers for small dataset files used by the data tests. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

import { tempDir as sharedTempDir } from '../helpers/tmp.js';

/** A temporary directory removed when test `t` ends. */
export const tempDir = (t: Parameters<typeof sharedTempDir>[0]): string => sharedTempDir(t, 'data');

export function writeFile(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

/** An unsigned-byte IDX file with the given dims and data. */
export function idxBytes(dims: readonly number[], data: Uint8Array, type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const v = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** Deterministic pixel i of image n. */
export const px = (n: number, i: number): number => (n * 31 + i * 7) & 0xff;

export function writeIdxSet(
  dir: string,
  prefix: string,
  count: number,
  h: number,
  w: number,
  gz: boolean,
  label = (n: number) => n % 10,
): void {
  const img = new Uint8Array(count * h * w);
  for (let n = 0; n < count; n++) for (let i = 0; i < h * w; i++) img[n * h * w + i] = px(n, i);
  const lbl = Uint8Array.from({ length: count }, (_, n) => label(n));
  const ext = gz ? '.gz' : '';
  const enc = (b: Uint8Array) => (gz ? gzipSync(b) : b);
  writeFile(join(dir, `${prefix}-images-idx3-ubyte${ext}`), enc(idxBytes([count, h, w], img)));
  writeFile(join(dir, `${prefix}-labels-idx1-ubyte${ext}`), enc(idxBytes([count], lbl)));
}

/** A CIFAR-10 record: label byte then R, G, B planes of 32x32. */
export function cifarRecord(label: number, n: number): Uint8Array {
  const r = new Uint8Array(3073);
  r[0] = label;
  for (let c = 0; c < 3; c++)
    for (let p = 0; p < 1024; p++) r[1 + c * 1024 + p] = (n + c * 50 + p) & 0xff;
  return r;
}

export function cifarBatch(labels: readonly number[], first: number): Uint8Array {
  const out = new Uint8Array(labels.length * 3073);
  labels.forEach((l, k) => out.set(cifarRecord(l, first + k), k * 3073));
  return out;
}

/** An RGBA PNG filled by f(x, y) -> [r, g, b]. */
export function pngBytes(
  width: number,
  height: number,
  f: (x: number, y: number) => [number, number, number],
): Uint8Array {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = f(x, y);
      png.data.set([r, g, b, 255], 4 * (y * width + x));
    }
  }
  return PNG.sync.write(png);
}

export function jpegBytes(
  width: number,
  height: number,
  f: (x: number, y: number) => [number, number, number],
): Uint8Array {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = f(x, y);
      data.set([r, g, b, 255], 4 * (y * width + x));
    }
  }
  return jpeg.encode({ data, width, height }, 95).data;
}
