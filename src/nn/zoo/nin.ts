/**
 * Network in Network (Lin et al. 2014), the ImageNet model of the Caffe model
 * zoo (nin_imagenet): 224x224 input, four mlpconv blocks (a spatial
 * convolution followed by two 1x1 "cccp" convolutions, each with a ReLU),
 * ceil-mode 3x3 max pooling, dropout 0.5 before the last block, and global
 * average pooling over the 1000-channel cccp8 instead of fully connected
 * layers. 7,595,176 parameters with 1000 classes.
 */
import type { ModelBuilder } from './builder.js';
import { defineModel, IMAGENET_CLASSES, SMALL_CLASSES, SMALL_INPUT } from './entry.js';

interface Mlpconv {
  readonly conv: string;
  readonly filters: number;
  readonly kernel: number;
  readonly stride?: number;
  readonly pad?: number;
  readonly cccp: readonly [string, number, string, number];
  /** ReLU after the second 1x1 convolution (default true). */
  readonly lastRelu?: boolean;
}

/** conv -> relu -> 1x1 -> relu -> 1x1 [-> relu]; returns the last layer. */
function mlpconv(b: ModelBuilder, from: string, m: Mlpconv): string {
  let x = b.convRelu(m.conv, from, m.filters, m.kernel, { stride: m.stride, pad: m.pad });
  x = b.convRelu(m.cccp[0], x, m.cccp[1], 1);
  return m.lastRelu === false
    ? b.conv(m.cccp[2], x, m.cccp[3], 1)
    : b.convRelu(m.cccp[2], x, m.cccp[3], 1);
}

export const nin = defineModel(
  {
    name: 'nin',
    description: 'Network in Network (Caffe nin_imagenet): mlpconv blocks, global average pooling',
    inputShape: [3, 224, 224],
    numClasses: IMAGENET_CLASSES,
  },
  (b, n) => {
    const c = ['cccp1', 'cccp2', 'cccp3', 'cccp4', 'cccp5', 'cccp6', 'cccp7', 'cccp8'];
    let x = mlpconv(b, 'data', {
      conv: 'conv1',
      filters: 96,
      kernel: 11,
      stride: 4,
      cccp: [c[0], 96, c[1], 96],
    });
    x = b.maxpool('pool1', x, 3, 2, { ceil: true });
    x = mlpconv(b, x, {
      conv: 'conv2',
      filters: 256,
      kernel: 5,
      pad: 2,
      cccp: [c[2], 256, c[3], 256],
    });
    x = b.maxpool('pool2', x, 3, 2, { ceil: true });
    x = mlpconv(b, x, {
      conv: 'conv3',
      filters: 384,
      kernel: 3,
      pad: 1,
      cccp: [c[4], 384, c[5], 384],
    });
    x = b.dropout('drop', b.maxpool('pool3', x, 3, 2, { ceil: true }), 0.5);
    x = mlpconv(b, x, {
      conv: 'conv4',
      filters: 1024,
      kernel: 3,
      pad: 1,
      cccp: [c[6], 1024, c[7], n],
    });
    return b.globalAvgPool('pool4', x);
  },
);

/**
 * NiN in miniature: the same four mlpconv blocks, pooling, dropout and
 * global average pooling over a numClasses-channel cccp8, with 5x5/3x3
 * stride-1 spatial convolutions and 24-128 channels. cccp8 has no ReLU: with
 * one in front of the softmax, SGD training on MNIST died in every run
 * (all logits 0, loss stuck at ln 10); without it the network trains.
 */
export const ninSmall = defineModel(
  {
    name: 'nin-small',
    description: 'Network in Network in miniature: mlpconv blocks, global average pooling',
    inputShape: SMALL_INPUT,
    numClasses: SMALL_CLASSES,
  },
  (b, n) => {
    const c = ['cccp1', 'cccp2', 'cccp3', 'cccp4', 'cccp5', 'cccp6', 'cccp7', 'cccp8'];
    let x = mlpconv(b, 'data', {
      conv: 'conv1',
      filters: 24,
      kernel: 5,
      pad: 2,
      cccp: [c[0], 24, c[1], 24],
    });
    x = b.maxpool('pool1', x, 3, 2, { ceil: true });
    x = mlpconv(b, x, {
      conv: 'conv2',
      filters: 48,
      kernel: 5,
      pad: 2,
      cccp: [c[2], 48, c[3], 48],
    });
    x = b.maxpool('pool2', x, 3, 2, { ceil: true });
    x = mlpconv(b, x, {
      conv: 'conv3',
      filters: 96,
      kernel: 3,
      pad: 1,
      cccp: [c[4], 96, c[5], 96],
    });
    x = b.dropout('drop', b.maxpool('pool3', x, 3, 2, { ceil: true }), 0.5);
    x = mlpconv(b, x, {
      conv: 'conv4',
      filters: 128,
      kernel: 3,
      pad: 1,
      cccp: [c[6], 128, c[7], n],
      lastRelu: false,
    });
    return b.globalAvgPool('pool4', x);
  },
);
