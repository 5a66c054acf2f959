/**
 * SqueezeNet 1.0 (Iandola et al. 2016; the DeepScale Caffe model): 227x227
 * input, 7x7 stride-2 conv1, eight Fire modules (a 1x1 squeeze convolution
 * feeding parallel 1x1 and 3x3 expand convolutions, concatenated),
 * ceil-mode 3x3 max pooling after conv1, fire4 and fire8, dropout 0.5, a
 * 1x1 conv10 with one channel per class and global average pooling.
 * 1,248,424 parameters with 1000 classes.
 */
import type { ModelBuilder } from './builder.js';
import { defineModel, IMAGENET_CLASSES, SMALL_CLASSES, SMALL_INPUT } from './entry.js';

/** Fire module: squeeze 1x1 -> relu -> [expand 1x1 -> relu, expand 3x3 -> relu] -> concat. */
export function fire(
  b: ModelBuilder,
  name: string,
  from: string,
  squeeze: number,
  expand: number,
): string {
  const s = b.convRelu(`${name}/squeeze1x1`, from, squeeze, 1);
  const e1 = b.convRelu(`${name}/expand1x1`, s, expand, 1);
  const e3 = b.convRelu(`${name}/expand3x3`, s, expand, 3, { pad: 1 });
  return b.concat(`${name}/concat`, [e1, e3]);
}

/** [squeeze, expand] of fire2..fire9. */
type FireWidths = readonly (readonly [number, number])[];

function squeezenetBody(
  b: ModelBuilder,
  numClasses: number,
  conv1: { filters: number; kernel: number; stride: number; pad: number },
  fires: FireWidths,
): string {
  let x = b.convRelu('conv1', 'data', conv1.filters, conv1.kernel, {
    stride: conv1.stride,
    pad: conv1.pad,
  });
  x = b.maxpool('pool1', x, 3, 2, { ceil: true });
  fires.forEach(([s, e], i) => {
    const n = i + 2;
    x = fire(b, `fire${n}`, x, s, e);
    if (n === 4 || n === 8) x = b.maxpool(`pool${n}`, x, 3, 2, { ceil: true });
  });
  x = b.dropout('drop9', x, 0.5);
  x = b.convRelu('conv10', x, numClasses, 1);
  return b.globalAvgPool('pool10', x);
}

export const squeezenet = defineModel(
  {
    name: 'squeezenet',
    description: 'SqueezeNet 1.0: Fire modules, 1x1 classifier conv, global average pooling',
    inputShape: [3, 227, 227],
    numClasses: IMAGENET_CLASSES,
  },
  (b, numClasses) =>
    squeezenetBody(b, numClasses, { filters: 96, kernel: 7, stride: 2, pad: 0 }, [
      [16, 64],
      [16, 64],
      [32, 128],
      [32, 128],
      [48, 192],
      [48, 192],
      [64, 256],
      [64, 256],
    ]),
);

/**
 * SqueezeNet 1.0 in miniature: the same eight Fire modules, pools, dropout
 * and conv10 + global average pooling, with a 3x3 stride-1 conv1 and half
 * the channel widths.
 */
export const squeezenetSmall = defineModel(
  {
    name: 'squeezenet-small',
    description: 'SqueezeNet 1.0 in miniature: Fire modules, global average pooling',
    inputShape: SMALL_INPUT,
    numClasses: SMALL_CLASSES,
  },
  (b, numClasses) =>
    squeezenetBody(b, numClasses, { filters: 48, kernel: 3, stride: 1, pad: 1 }, [
      [8, 32],
      [8, 32],
      [16, 64],
      [16, 64],
      [24, 96],
      [24, 96],
      [32, 128],
      [32, 128],
    ]),
);
