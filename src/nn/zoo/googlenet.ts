/**
 * GoogLeNet / Inception v1 (Szegedy et al. 2015) as in Caffe's
 * bvlc_googlenet, without the two auxiliary classifiers (they only help
 * training and are dropped at inference): 224x224 input, 7x7 stride-2 conv1,
 * LRN after pool1 and conv2, nine Inception modules (1x1, 1x1->3x3,
 * 1x1->5x5 and 3x3 max pool->1x1 branches, concatenated), ceil-mode max
 * pooling, global average pooling, dropout 0.4, one fully connected layer.
 * 6,998,552 parameters with 1000 classes.
 */
import type { ModelBuilder } from './builder.js';
import { defineModel, IMAGENET_CLASSES, SMALL_CLASSES, SMALL_INPUT } from './entry.js';

/** Widths: [1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool projection]. */
export type InceptionWidths = readonly [number, number, number, number, number, number];

export function inception(b: ModelBuilder, name: string, from: string, w: InceptionWidths): string {
  const a = b.convRelu(`${name}/1x1`, from, w[0], 1);
  const r3 = b.convRelu(`${name}/3x3_reduce`, from, w[1], 1);
  const c3 = b.convRelu(`${name}/3x3`, r3, w[2], 3, { pad: 1 });
  const r5 = b.convRelu(`${name}/5x5_reduce`, from, w[3], 1);
  const c5 = b.convRelu(`${name}/5x5`, r5, w[4], 5, { pad: 2 });
  const p = b.maxpool(`${name}/pool`, from, 3, 1, { pad: 1 });
  const pp = b.convRelu(`${name}/pool_proj`, p, w[5], 1);
  return b.concat(`${name}/output`, [a, c3, c5, pp]);
}

interface GoogLeNetWidths {
  readonly conv1: number;
  readonly conv2Reduce: number;
  readonly conv2: number;
  readonly modules: Readonly<
    Record<'3a' | '3b' | '4a' | '4b' | '4c' | '4d' | '4e' | '5a' | '5b', InceptionWidths>
  >;
}

function googlenetBody(
  b: ModelBuilder,
  numClasses: number,
  w: GoogLeNetWidths,
  stem: { kernel: number; stride: number; pool2: boolean },
): string {
  let x = b.convRelu('conv1/7x7_s2', 'data', w.conv1, stem.kernel, {
    stride: stem.stride,
    pad: (stem.kernel - 1) / 2,
  });
  x = b.lrn('pool1/norm1', b.maxpool('pool1/3x3_s2', x, 3, 2, { ceil: true }));
  x = b.convRelu('conv2/3x3_reduce', x, w.conv2Reduce, 1);
  x = b.lrn('conv2/norm2', b.convRelu('conv2/3x3', x, w.conv2, 3, { pad: 1 }));
  if (stem.pool2) x = b.maxpool('pool2/3x3_s2', x, 3, 2, { ceil: true });
  x = inception(b, 'inception_3a', x, w.modules['3a']);
  x = inception(b, 'inception_3b', x, w.modules['3b']);
  x = b.maxpool('pool3/3x3_s2', x, 3, 2, { ceil: true });
  for (const m of ['4a', '4b', '4c', '4d', '4e'] as const)
    x = inception(b, `inception_${m}`, x, w.modules[m]);
  x = b.maxpool('pool4/3x3_s2', x, 3, 2, { ceil: true });
  x = inception(b, 'inception_5a', x, w.modules['5a']);
  x = inception(b, 'inception_5b', x, w.modules['5b']);
  x = b.dropout('pool5/drop', b.globalAvgPool('pool5/avg', x), 0.4);
  return b.dense('loss3/classifier', x, numClasses);
}

const FULL: GoogLeNetWidths = {
  conv1: 64,
  conv2Reduce: 64,
  conv2: 192,
  modules: {
    '3a': [64, 96, 128, 16, 32, 32],
    '3b': [128, 128, 192, 32, 96, 64],
    '4a': [192, 96, 208, 16, 48, 64],
    '4b': [160, 112, 224, 24, 64, 64],
    '4c': [128, 128, 256, 24, 64, 64],
    '4d': [112, 144, 288, 32, 64, 64],
    '4e': [256, 160, 320, 32, 128, 128],
    '5a': [256, 160, 320, 32, 128, 128],
    '5b': [384, 192, 384, 48, 128, 128],
  },
};

/** Every width of FULL divided by `d` (at least 4 channels). */
function scaled(d: number): GoogLeNetWidths {
  const s = (n: number) => Math.max(4, Math.round(n / d));
  const modules = Object.fromEntries(
    Object.entries(FULL.modules).map(([k, v]) => [k, v.map(s) as unknown as InceptionWidths]),
  ) as unknown as GoogLeNetWidths['modules'];
  return { conv1: s(FULL.conv1), conv2Reduce: s(FULL.conv2Reduce), conv2: s(FULL.conv2), modules };
}

export const googlenet = defineModel(
  {
    name: 'googlenet',
    description:
      'GoogLeNet / Inception v1 (Caffe bvlc_googlenet, no auxiliary classifiers): LRN, Inception modules',
    inputShape: [3, 224, 224],
    numClasses: IMAGENET_CLASSES,
  },
  (b, numClasses) => googlenetBody(b, numClasses, FULL, { kernel: 7, stride: 2, pool2: true }),
);

/**
 * GoogLeNet in miniature: the same stem with LRN, nine Inception modules and
 * pooling, with a 3x3 stride-1 conv1, no pool2 (a 28x28 input reaches 4x4 at
 * inception 5b) and a fifth of the channel widths.
 */
export const googlenetSmall = defineModel(
  {
    name: 'googlenet-small',
    description: 'GoogLeNet / Inception v1 in miniature: LRN, nine Inception modules',
    inputShape: SMALL_INPUT,
    numClasses: SMALL_CLASSES,
  },
  (b, numClasses) =>
    googlenetBody(b, numClasses, scaled(5), { kernel: 3, stride: 1, pool2: false }),
);

/**
 * GoogLeNet as vDNN ran it in Torch: soumith/convnet-benchmarks
 * torch7/imagenet_winners/googlenet.lua (the Titan X timings
 * docs/SIMULATOR.md uses), Caffe's widths without the two LRN layers ("not
 * added for now" there), floor-mode 3x3/2 max pooling with padding 1, 7x7
 * average pooling, no auxiliary classifiers. Dropout 0.4 before the
 * classifier as in the paper (the benchmark comments it out). 6,998,552
 * parameters with 1000 classes, as the Caffe model.
 */
export const googlenetTorch = defineModel(
  {
    name: 'googlenet-torch',
    description:
      'GoogLeNet as vDNN ran it in Torch (convnet-benchmarks): no LRN, no auxiliary classifiers',
    inputShape: [3, 224, 224],
    numClasses: IMAGENET_CLASSES,
  },
  (b, numClasses) => {
    const w = FULL;
    let x = b.convRelu('conv1/7x7_s2', 'data', w.conv1, 7, { stride: 2, pad: 3 });
    x = b.maxpool('pool1/3x3_s2', x, 3, 2, { pad: 1 });
    x = b.convRelu('conv2/3x3_reduce', x, w.conv2Reduce, 1);
    x = b.convRelu('conv2/3x3', x, w.conv2, 3, { pad: 1 });
    x = b.maxpool('pool2/3x3_s2', x, 3, 2, { pad: 1 });
    x = inception(b, 'inception_3a', x, w.modules['3a']);
    x = inception(b, 'inception_3b', x, w.modules['3b']);
    x = b.maxpool('pool3/3x3_s2', x, 3, 2, { pad: 1 });
    for (const m of ['4a', '4b', '4c', '4d', '4e'] as const)
      x = inception(b, `inception_${m}`, x, w.modules[m]);
    x = b.maxpool('pool4/3x3_s2', x, 3, 2, { pad: 1 });
    x = inception(b, 'inception_5a', x, w.modules['5a']);
    x = inception(b, 'inception_5b', x, w.modules['5b']);
    x = b.dropout('pool5/drop', b.avgpool('pool5/7x7_s1', x, 7, 1), 0.4);
    return b.dense('loss3/classifier', b.flatten('pool5/flatten', x), numClasses);
  },
);
