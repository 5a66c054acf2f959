/**
 * OverFeat "fast" (Sermanet et al. 2014, table 1): 231x231 input, 11x11
 * stride-4 conv1, unpadded 5x5 conv2, 2x2 max pooling, no normalisation,
 * 3072- and 4096-unit fully connected layers with dropout 0.5.
 * 145,920,872 parameters with 1000 classes (the paper: ~145M).
 */
import { defineModel, IMAGENET_CLASSES, SMALL_CLASSES, SMALL_INPUT } from './entry.js';

export const overfeat = defineModel(
  {
    name: 'overfeat',
    description: 'OverFeat fast: 5 conv + 3 fully connected layers, 2x2 max pooling, dropout',
    inputShape: [3, 231, 231],
    numClasses: IMAGENET_CLASSES,
  },
  (b, numClasses) => {
    let x = b.convRelu('conv1', 'data', 96, 11, { stride: 4 });
    x = b.maxpool('pool1', x, 2, 2);
    x = b.convRelu('conv2', x, 256, 5);
    x = b.maxpool('pool2', x, 2, 2);
    x = b.convRelu('conv3', x, 512, 3, { pad: 1 });
    x = b.convRelu('conv4', x, 1024, 3, { pad: 1 });
    x = b.convRelu('conv5', x, 1024, 3, { pad: 1 });
    x = b.flatten('flatten', b.maxpool('pool5', x, 2, 2));
    x = b.dropout('drop6', b.relu('fc6/relu', b.dense('fc6', x, 3072)), 0.5);
    x = b.dropout('drop7', b.relu('fc7/relu', b.dense('fc7', x, 4096)), 0.5);
    return b.dense('fc8', x, numClasses);
  },
);

/**
 * OverFeat in miniature: the same 5 conv + 3 fully connected layers, 2x2
 * pooling and unpadded 5x5 conv2, with a padded 5x5 stride-1 conv1, 32-128
 * channels and 256-unit fully connected layers.
 */
export const overfeatSmall = defineModel(
  {
    name: 'overfeat-small',
    description: 'OverFeat fast in miniature: 5 conv + 3 fully connected layers, dropout',
    inputShape: SMALL_INPUT,
    numClasses: SMALL_CLASSES,
  },
  (b, numClasses) => {
    let x = b.convRelu('conv1', 'data', 32, 5, { pad: 2 });
    x = b.maxpool('pool1', x, 2, 2);
    x = b.convRelu('conv2', x, 64, 5);
    x = b.maxpool('pool2', x, 2, 2);
    x = b.convRelu('conv3', x, 96, 3, { pad: 1 });
    x = b.convRelu('conv4', x, 128, 3, { pad: 1 });
    x = b.convRelu('conv5', x, 128, 3, { pad: 1 });
    x = b.flatten('flatten', b.maxpool('pool5', x, 2, 2));
    x = b.dropout('drop6', b.relu('fc6/relu', b.dense('fc6', x, 256)), 0.5);
    x = b.dropout('drop7', b.relu('fc7/relu', b.dense('fc7', x, 256)), 0.5);
    return b.dense('fc8', x, numClasses);
  },
);
