/**
 * ResNet-18 (He et al. 2016) as in torchvision: 224x224 input, 7x7 stride-2
 * conv1, 3x3 max pooling, four stages of two basic blocks (3x3 conv -> batch
 * norm -> ReLU -> 3x3 conv -> batch norm, plus the shortcut, then ReLU) with
 * 1x1 stride-2 projection shortcuts where the shape changes, global average
 * pooling and one fully connected layer. Convolutions have no bias; batch
 * norm gamma and beta are trainable, its running statistics are not.
 * 11,689,512 parameters with 1000 classes.
 */
import type { ModelBuilder } from './builder.js';
import { defineModel, IMAGENET_CLASSES, SMALL_CLASSES, SMALL_INPUT } from './entry.js';

function convBn(
  b: ModelBuilder,
  name: string,
  from: string,
  filters: number,
  kernel: number,
  stride: number,
): string {
  const c = b.conv(name, from, filters, kernel, { stride, pad: (kernel - 1) / 2, bias: false });
  return b.batchnorm(`${name}/bn`, c);
}

export function basicBlock(
  b: ModelBuilder,
  name: string,
  from: string,
  filters: number,
  stride: number,
): string {
  const a = b.relu(`${name}/relu1`, convBn(b, `${name}/conv1`, from, filters, 3, stride));
  const y = convBn(b, `${name}/conv2`, a, filters, 3, 1);
  const projected = stride !== 1 || b.shape(from)[0] !== filters;
  const shortcut = projected ? convBn(b, `${name}/downsample`, from, filters, 1, stride) : from;
  return b.relu(`${name}/relu2`, b.add(`${name}/add`, [y, shortcut]));
}

function resnetBody(
  b: ModelBuilder,
  numClasses: number,
  widths: readonly [number, number, number, number],
  stem: { kernel: number; stride: number },
): string {
  let x = b.relu('conv1/relu', convBn(b, 'conv1', 'data', widths[0], stem.kernel, stem.stride));
  x = b.maxpool('pool1', x, 3, 2, { pad: 1 });
  widths.forEach((w, i) => {
    x = basicBlock(b, `layer${i + 1}.0`, x, w, i === 0 ? 1 : 2);
    x = basicBlock(b, `layer${i + 1}.1`, x, w, 1);
  });
  return b.dense('fc', b.globalAvgPool('avgpool', x), numClasses);
}

export const resnet18 = defineModel(
  {
    name: 'resnet18',
    description:
      'ResNet-18 (torchvision): basic residual blocks, batch norm, global average pooling',
    inputShape: [3, 224, 224],
    numClasses: IMAGENET_CLASSES,
  },
  (b, numClasses) => resnetBody(b, numClasses, [64, 128, 256, 512], { kernel: 7, stride: 2 }),
);

/**
 * ResNet-18 in miniature: the same stem, max pool, eight basic blocks with
 * projection shortcuts, batch norm and global average pooling, with a 3x3
 * stride-1 conv1 and a quarter of the channel widths (16-128).
 */
export const resnet18Small = defineModel(
  {
    name: 'resnet18-small',
    description: 'ResNet-18 in miniature: basic residual blocks, batch norm',
    inputShape: SMALL_INPUT,
    numClasses: SMALL_CLASSES,
  },
  (b, numClasses) => resnetBody(b, numClasses, [16, 32, 64, 128], { kernel: 3, stride: 1 }),
);
