/** One factory per layer kind. Adding a kind: a file here, a line below, a SAVED_FOR_BACKWARD entry. */
import type { LayerSpec } from '../spec.js';
import { createAdd } from './add.js';
import { createAvgpool } from './avgpool.js';
import { createBatchnorm } from './batchnorm.js';
import { createConcat } from './concat.js';
import { createConv2d } from './conv2d.js';
import { createDense } from './dense.js';
import { createDropout } from './dropout.js';
import { createFlatten } from './flatten.js';
import { createGlobalAvgpool } from './globalavgpool.js';
import { createInput } from './input.js';
import type { Layer, LayerSetup } from './layer.js';
import { createLrn } from './lrn.js';
import { createMaxpool } from './maxpool.js';
import { createRelu } from './relu.js';
import { createSoftmaxCe } from './softmax-ce.js';

export function createLayer(spec: LayerSpec, setup: LayerSetup): Layer {
  switch (spec.kind) {
    case 'input':
      return createInput(spec, setup);
    case 'conv2d':
      return createConv2d(spec, setup);
    case 'relu':
      return createRelu(spec, setup);
    case 'maxpool':
      return createMaxpool(spec, setup);
    case 'avgpool':
      return createAvgpool(spec, setup);
    case 'globalavgpool':
      return createGlobalAvgpool(spec, setup);
    case 'lrn':
      return createLrn(spec, setup);
    case 'dense':
      return createDense(spec, setup);
    case 'dropout':
      return createDropout(spec, setup);
    case 'concat':
      return createConcat(spec, setup);
    case 'add':
      return createAdd(spec, setup);
    case 'flatten':
      return createFlatten(spec, setup);
    case 'batchnorm':
      return createBatchnorm(spec, setup);
    case 'softmax_ce':
      return createSoftmaxCe(spec, setup);
  }
}
