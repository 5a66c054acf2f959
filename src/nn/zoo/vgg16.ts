/**
 * VGG-16 (Simonyan & Zisserman 2015, configuration D): 224x224 input,
 * thirteen 3x3 padded convolutions in five blocks separated by 2x2 max
 * pooling, two 4096-unit fully connected layers with dropout 0.5.
 * 138,357,544 parameters with 1000 classes.
 */
import type { ModelBuilder } from './builder.js';
import { defineModel, IMAGENET_CLASSES, SMALL_CLASSES, SMALL_INPUT } from './entry.js';

/** Five blocks of 3x3 convolutions (widths per block), each ending in a 2x2 max pool. */
function vggFeatures(
  b: ModelBuilder,
  blocks: readonly (readonly number[])[],
  ceil: boolean,
): string {
  let x = 'data';
  blocks.forEach((widths, i) => {
    widths.forEach((w, j) => {
      x = b.convRelu(`conv${i + 1}_${j + 1}`, x, w, 3, { pad: 1 });
    });
    x = b.maxpool(`pool${i + 1}`, x, 2, 2, { ceil });
  });
  return x;
}

/** VGG-16's five blocks of 3x3 convolutions (configuration D). */
const VGG16_BLOCKS: readonly (readonly number[])[] = [
  [64, 64],
  [128, 128],
  [256, 256, 256],
  [512, 512, 512],
  [512, 512, 512],
];

/** VGG's classifier: flatten, fc6/fc7 4096 with ReLU and dropout 0.5, fc8. */
function vggClassifier(b: ModelBuilder, features: string, numClasses: number): string {
  let x = b.flatten('flatten', features);
  x = b.dropout('drop6', b.relu('fc6/relu', b.dense('fc6', x, 4096)), 0.5);
  x = b.dropout('drop7', b.relu('fc7/relu', b.dense('fc7', x, 4096)), 0.5);
  return b.dense('fc8', x, numClasses);
}

export const vgg16 = defineModel(
  {
    name: 'vgg16',
    description: 'VGG-16 (configuration D): 13 conv 3x3 + 3 fully connected layers, dropout',
    inputShape: [3, 224, 224],
    numClasses: IMAGENET_CLASSES,
  },
  (b, numClasses) => vggClassifier(b, vggFeatures(b, VGG16_BLOCKS, false), numClasses),
);

/**
 * vDNN's very deep networks (arXiv 1602.08124, section V): VGG-16 with 100,
 * 200, 300 or 400 more 3x3 convolutions. The paper gives the totals, not
 * where the layers go; here they are spread evenly, a fifth in each block at
 * that block's width (VGG-116 adds 20 per block), each with its ReLU.
 */
function vggDeep(extra: 100 | 200 | 300 | 400) {
  const blocks = VGG16_BLOCKS.map((widths) => [
    ...widths,
    ...new Array<number>(extra / 5).fill(widths[0]),
  ]);
  const name = `vgg${16 + extra}`;
  return defineModel(
    {
      name,
      description: `VGG-${16 + extra} (vDNN): VGG-16 with ${extra} more 3x3 convolutions, ${extra / 5} per block`,
      inputShape: [3, 224, 224],
      numClasses: IMAGENET_CLASSES,
    },
    (b, numClasses) => vggClassifier(b, vggFeatures(b, blocks, false), numClasses),
  );
}

export const vgg116 = vggDeep(100);
export const vgg216 = vggDeep(200);
export const vgg316 = vggDeep(300);
export const vgg416 = vggDeep(400);

/**
 * VGG-16 in miniature: the same 13 conv 3x3 + 3 fully connected layers and
 * five 2x2 pools (ceil mode, so 28x28 inputs reach 1x1), 16-96 channels.
 */
export const vgg16Small = defineModel(
  {
    name: 'vgg16-small',
    description: 'VGG-16 in miniature: 13 conv 3x3 + 3 fully connected layers, dropout',
    inputShape: SMALL_INPUT,
    numClasses: SMALL_CLASSES,
  },
  (b, numClasses) => {
    const f = vggFeatures(
      b,
      [
        [16, 16],
        [32, 32],
        [48, 48, 48],
        [96, 96, 96],
        [96, 96, 96],
      ],
      true,
    );
    let x = b.flatten('flatten', f);
    x = b.dropout('drop6', b.relu('fc6/relu', b.dense('fc6', x, 256)), 0.5);
    x = b.dropout('drop7', b.relu('fc7/relu', b.dense('fc7', x, 256)), 0.5);
    return b.dense('fc8', x, numClasses);
  },
);
