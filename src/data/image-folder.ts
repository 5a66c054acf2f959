/**
 * A folder of PNG/JPEG images with one subfolder per class:
 *   DIR/<class>/*.png|jpg|jpeg                      (split here, seeded), or
 *   DIR/train/<class>/...  and  DIR/test/<class>/...  (split given).
 * Classes are the subfolder names in sorted order. Images are decoded
 * straight to the target shape (or, without one, to the most common size
 * among them, grey when every image's colour channels are equal, RGB
 * otherwise).
 */
import { extname, join } from 'node:path';
import { InputFileError } from '../errors.js';
import { fitSplit, type FitMode, type Shape3 } from './fit.js';
import { FILE_LIMITS } from '../io/limits.js';
import { readBounded } from '../io/read.js';
import { isDir, isFile, listDir, requireDir } from './files.js';
import { decodeImage } from './image-decode.js';
import { readImageHeader, type ImageHeader } from './image-header.js';
import { createRng, shuffleInPlace } from '../random.js';
import { checkDatasetSize, evenIndices, type RawDataset, type RawSplit } from './raw.js';

export interface ImageFolderOptions {
  readonly name?: string;
  /** Decode every image to this [c, h, w]. */
  readonly target?: Shape3;
  readonly fit?: FitMode;
  readonly limit?: number;
  readonly testLimit?: number;
  /** Share of each class held out for testing when there is no train/test split (default 0.2). */
  readonly testFraction?: number;
  /** Seed of that split (default 0); independent of the training seed. */
  readonly splitSeed?: number;
}

interface Item {
  readonly path: string;
  readonly label: number;
}

const EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);
const MAX_CLASSES = 256;
const ONE_LABEL = new Uint8Array(1);

function imagesIn(dir: string, name: string): string[] {
  return listDir(dir, name)
    .filter((n) => EXTENSIONS.has(extname(n).toLowerCase()))
    .map((n) => join(dir, n))
    .filter(isFile);
}

function classDirs(dir: string, name: string): string[] {
  return listDir(dir, name).filter((n) => isDir(join(dir, n)));
}

function itemsOf(
  root: string,
  classes: readonly string[],
  name: string,
  requireEach: boolean,
): Item[] {
  const items: Item[] = [];
  classes.forEach((cls, label) => {
    const dir = join(root, cls);
    const files = isDir(dir) ? imagesIn(dir, name) : [];
    if (files.length === 0 && requireEach) {
      throw new InputFileError(
        `${name}: class folder ${dir} holds no .png/.jpg images; add images or remove the folder`,
      );
    }
    for (const path of files) items.push({ path, label });
  });
  return items;
}

function checkClasses(classes: string[], where: string, name: string): void {
  if (classes.length < 2) {
    throw new InputFileError(
      `${name}: ${where} has ${classes.length} class folder(s); need one subfolder of images per class, at least two`,
    );
  }
  if (classes.length > MAX_CLASSES)
    throw new InputFileError(
      `${name}: ${classes.length} classes; at most ${MAX_CLASSES} are supported`,
    );
}

/**
 * Holds out round(n * fraction) images of each class, at least one when the
 * class has two or more and never all of them (seeded), keeping file order
 * within each side.
 */
function seededSplit(
  items: Item[],
  numClasses: number,
  fraction: number,
  seed: number,
): { train: Item[]; test: Item[] } {
  const train: Item[] = [];
  const test: Item[] = [];
  for (let c = 0; c < numClasses; c++) {
    const ofClass = items.filter((it) => it.label === c);
    const order = ofClass.map((_, i) => i);
    shuffleInPlace(order, createRng(seed, c));
    const n = ofClass.length;
    const k = n >= 2 && fraction > 0 ? Math.max(1, Math.round(n * fraction)) : 0;
    const held = new Set(order.slice(0, Math.min(k, n - 1)));
    ofClass.forEach((it, i) => (held.has(i) ? test : train).push(it));
  }
  return { train, test };
}

function limitItems(items: Item[], limit: number | undefined): Item[] {
  return Array.from(evenIndices(items.length, limit), (i) => items[i]);
}

function mostCommonSize(headers: readonly ImageHeader[]): [number, number] {
  const counts = new Map<string, number>();
  let best = '';
  let bestCount = 0;
  for (const h of headers) {
    const key = `${h.height}x${h.width}`;
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    if (n > bestCount) {
      best = key;
      bestCount = n;
    }
  }
  const [hh, ww] = best.split('x').map(Number);
  return [hh, ww];
}

/** True when every pixel of an HWC RGB image has r = g = b. */
function isGrey(rgb: Uint8Array): boolean {
  for (let p = 0; p < rgb.length; p += 3) {
    if (rgb[p] !== rgb[p + 1] || rgb[p] !== rgb[p + 2]) return false;
  }
  return true;
}

interface Decoded {
  readonly split: RawSplit;
  readonly allGrey: boolean;
}

function decodeAll(items: Item[], headers: ImageHeader[], shape: Shape3, fit: FitMode): Decoded {
  const [c, h, w] = shape;
  const size = c * h * w;
  const pixels = new Uint8Array(items.length * size);
  const labels = new Uint8Array(items.length);
  let allGrey = true;
  items.forEach((it, i) => {
    const bytes = readBounded(it.path, { what: 'image', maxBytes: FILE_LIMITS.image });
    const img = decodeImage(bytes, headers[i], c as 1 | 3, it.path);
    const one: RawSplit = { count: 1, pixels: img.pixels, labels: ONE_LABEL };
    const fitted = fitSplit(one, [c, img.height, img.width], shape, fit);
    if (allGrey && c === 3) allGrey = isGrey(fitted.pixels);
    pixels.set(fitted.pixels, i * size);
    labels[i] = it.label;
  });
  return { split: { count: items.length, pixels, labels }, allGrey };
}

/** Keeps the first of every three bytes (an RGB image whose channels are equal). */
function firstChannel(split: RawSplit): RawSplit {
  const out = new Uint8Array(split.pixels.length / 3);
  for (let i = 0; i < out.length; i++) out[i] = split.pixels[3 * i];
  return { count: split.count, pixels: out, labels: split.labels };
}

export function loadImageFolder(dir: string, opts: ImageFolderOptions = {}): RawDataset {
  const name = opts.name ?? `images:${dir}`;
  requireDir(dir, name, 'pass a folder with one subfolder of .png/.jpg images per class');
  let classes: string[];
  let train: Item[];
  let test: Item[];
  const trainDir = join(dir, 'train');
  const testDir = join(dir, 'test');
  if (isDir(trainDir) && isDir(testDir)) {
    classes = classDirs(trainDir, name);
    checkClasses(classes, trainDir, name);
    const unknown = classDirs(testDir, name).filter((c) => !classes.includes(c));
    if (unknown.length > 0) {
      throw new InputFileError(
        `${name}: test class folder ${join(testDir, unknown[0])} has no counterpart in ${trainDir}`,
      );
    }
    train = itemsOf(trainDir, classes, name, true);
    test = itemsOf(testDir, classes, name, false);
  } else {
    classes = classDirs(dir, name);
    checkClasses(classes, dir, name);
    const fraction = opts.testFraction ?? 0.2;
    ({ train, test } = seededSplit(
      itemsOf(dir, classes, name, true),
      classes.length,
      fraction,
      opts.splitSeed ?? 0,
    ));
  }
  if (test.length === 0)
    throw new InputFileError(
      `${name}: no test images; add some to ${testDir} or use more images per class`,
    );
  train = limitItems(train, opts.limit);
  test = limitItems(test, opts.testLimit);
  const header = (it: Item) =>
    readImageHeader(readBounded(it.path, { what: 'image', maxBytes: FILE_LIMITS.image }), it.path);
  const trainHeaders = train.map(header);
  const testHeaders = test.map(header);
  const [h, w] = opts.target?.slice(1) ?? mostCommonSize([...trainHeaders, ...testHeaders]);
  const c = opts.target?.[0] ?? 3;
  checkDatasetSize(name, train.length + test.length, c * h * w);
  const fit = opts.fit ?? 'auto';
  const a = decodeAll(train, trainHeaders, [c, h, w], fit);
  const b = decodeAll(test, testHeaders, [c, h, w], fit);
  // Without a target, images whose colour channels are all equal make a grey dataset.
  const grey = opts.target === undefined && a.allGrey && b.allGrey;
  return {
    name,
    shape: grey ? [1, h, w] : [c, h, w],
    numClasses: classes.length,
    classNames: classes,
    train: grey ? firstChannel(a.split) : a.split,
    test: grey ? firstChannel(b.split) : b.split,
  };
}
