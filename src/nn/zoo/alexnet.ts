/**
 * AlexNet as in Caffe's bvlc_alexnet (Krizhevsky et al. 2012): 227x227
 * input, conv2/4/5 in two groups (the original two-GPU split), across-channel
 * LRN after conv1 and conv2, ceil-mode max pooling, dropout 0.5 before fc7
 * and fc8. 60,965,224 parameters with 1000 classes.
 */
import { defineModel, IMAGENET_CLASSES, SMALL_CLASSES, SMALL_INPUT } from './entry.js';

export const alexnet = defineModel(
  {
    name: 'alexnet',
    description: 'AlexNet (Caffe bvlc_alexnet): grouped conv2/4/5, LRN, dropout',
    inputShape: [3, 227, 227],
    numClasses: IMAGENET_CLASSES,
  },
  (b, numClasses) => {
    let x = b.convRelu('conv1', 'data', 96, 11, { stride: 4 });
    x = b.maxpool('pool1', b.lrn('norm1', x), 3, 2, { ceil: true });
    x = b.convRelu('conv2', x, 256, 5, { pad: 2, groups: 2 });
    x = b.maxpool('pool2', b.lrn('norm2', x), 3, 2, { ceil: true });
    x = b.convRelu('conv3', x, 384, 3, { pad: 1 });
    x = b.convRelu('conv4', x, 384, 3, { pad: 1, groups: 2 });
    x = b.convRelu('conv5', x, 256, 3, { pad: 1, groups: 2 });
    x = b.flatten('flatten', b.maxpool('pool5', x, 3, 2, { ceil: true }));
    x = b.dropout('drop6', b.relu('fc6/relu', b.dense('fc6', x, 4096)), 0.5);
    x = b.dropout('drop7', b.relu('fc7/relu', b.dense('fc7', x, 4096)), 0.5);
    return b.dense('fc8', x, numClasses);
  },
);

/**
 * AlexNet in miniature for 28x28/32x32 inputs: the same eight weight layers,
 * grouped conv2/4/5, LRN and dropout, with a stride-1 5x5 conv1, 32-96
 * channels and 256-unit fully connected layers.
 */
export const alexnetSmall = defineModel(
  {
    name: 'alexnet-small',
    description: 'AlexNet in miniature: grouped conv2/4/5, LRN, dropout',
    inputShape: SMALL_INPUT,
    numClasses: SMALL_CLASSES,
  },
  (b, numClasses) => {
    let x = b.convRelu('conv1', 'data', 32, 5, { pad: 2 });
    x = b.maxpool('pool1', b.lrn('norm1', x), 3, 2, { ceil: true });
    x = b.convRelu('conv2', x, 64, 5, { pad: 2, groups: 2 });
    x = b.maxpool('pool2', b.lrn('norm2', x), 3, 2, { ceil: true });
    x = b.convRelu('conv3', x, 96, 3, { pad: 1 });
    x = b.convRelu('conv4', x, 96, 3, { pad: 1, groups: 2 });
    x = b.convRelu('conv5', x, 64, 3, { pad: 1, groups: 2 });
    x = b.flatten('flatten', b.maxpool('pool5', x, 3, 2, { ceil: true }));
    x = b.dropout('drop6', b.relu('fc6/relu', b.dense('fc6', x, 256)), 0.5);
    x = b.dropout('drop7', b.relu('fc7/relu', b.dense('fc7', x, 256)), 0.5);
    return b.dense('fc8', x, numClasses);
  },
);

/**
 * AlexNet as vDNN trained it in Torch: the single-column "One Weird Trick"
 * variant (Krizhevsky, arXiv 1404.5997; cuda-convnet2's
 * layers-imagenet-1gpu.cfg) as written for Torch in
 * soumith/imagenet-multiGPU.torch (models/alexnetowt_cudnn.lua) and
 * soumith/convnet-benchmarks (torch7/imagenet_winners/alexnet.lua, the
 * Titan X timings docs/SIMULATOR.md uses): 224x224 input, conv1 64@11x11/4
 * pad 2 (55x55), conv2 192@5x5, conv3-5 384/256/256@3x3, no grouping, no
 * LRN, floor-mode 3x3/2 max pooling (pool5 6x6x256), dropout 0.5 before fc6
 * and fc7. 61,100,840 parameters with 1000 classes.
 */
export const alexnetTorch = defineModel(
  {
    name: 'alexnet-torch',
    description: 'AlexNet as vDNN ran it in Torch (One Weird Trick: 64-192-384-256-256, no LRN)',
    inputShape: [3, 224, 224],
    numClasses: IMAGENET_CLASSES,
  },
  (b, numClasses) => {
    let x = b.convRelu('conv1', 'data', 64, 11, { stride: 4, pad: 2 });
    x = b.maxpool('pool1', x, 3, 2);
    x = b.convRelu('conv2', x, 192, 5, { pad: 2 });
    x = b.maxpool('pool2', x, 3, 2);
    x = b.convRelu('conv3', x, 384, 3, { pad: 1 });
    x = b.convRelu('conv4', x, 256, 3, { pad: 1 });
    x = b.convRelu('conv5', x, 256, 3, { pad: 1 });
    x = b.flatten('flatten', b.maxpool('pool5', x, 3, 2));
    x = b.relu('fc6/relu', b.dense('fc6', b.dropout('drop6', x, 0.5), 4096));
    x = b.relu('fc7/relu', b.dense('fc7', b.dropout('drop7', x, 0.5), 4096));
    return b.dense('fc8', x, numClasses);
  },
);
