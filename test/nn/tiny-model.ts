/** A small DAG using every layer kind, for executor tests (fast on either backend). */
import type { LayerSpec, ModelSpec } from '../../src/nn/spec.js';

const conv = (
  name: string,
  from: string,
  filters: number,
  k: number,
  pad: number,
  groups = 1,
): LayerSpec => ({
  kind: 'conv2d',
  name,
  inputs: [from],
  filters,
  kernel: [k, k],
  stride: [1, 1],
  pad: [pad, pad, pad, pad],
  groups,
  bias: true,
});

export function tinyModel(numClasses = 3): ModelSpec {
  return {
    name: 'tiny',
    description: 'every layer kind on 2x8x8 inputs',
    numClasses,
    layers: [
      { kind: 'input', name: 'data', inputs: [], shape: [2, 8, 8] },
      conv('conv1', 'data', 4, 3, 1),
      { kind: 'batchnorm', name: 'bn1', inputs: ['conv1'], epsilon: 1e-5, momentum: 0.1 },
      { kind: 'relu', name: 'relu1', inputs: ['bn1'] },
      {
        kind: 'maxpool',
        name: 'pool1',
        inputs: ['relu1'],
        kernel: [2, 2],
        stride: [2, 2],
        pad: [0, 0, 0, 0],
      },
      conv('conv_a', 'pool1', 4, 1, 0),
      { kind: 'relu', name: 'relu_a', inputs: ['conv_a'] },
      conv('conv_b', 'pool1', 4, 3, 1, 2),
      { kind: 'relu', name: 'relu_b', inputs: ['conv_b'] },
      { kind: 'concat', name: 'cat', inputs: ['relu_a', 'relu_b'] },
      { kind: 'lrn', name: 'norm', inputs: ['cat'], size: 3, alpha: 1e-2, beta: 0.75, k: 1 },
      conv('conv_c', 'norm', 8, 1, 0),
      { kind: 'add', name: 'sum', inputs: ['cat', 'conv_c'] },
      { kind: 'relu', name: 'relu_c', inputs: ['sum'] },
      {
        kind: 'avgpool',
        name: 'pool2',
        inputs: ['relu_c'],
        kernel: [2, 2],
        stride: [2, 2],
        pad: [0, 0, 0, 0],
      },
      { kind: 'flatten', name: 'flat', inputs: ['pool2'] },
      { kind: 'globalavgpool', name: 'gap', inputs: ['relu_c'] },
      { kind: 'concat', name: 'features', inputs: ['flat', 'gap'] },
      { kind: 'dense', name: 'fc1', inputs: ['features'], units: 16, bias: true },
      { kind: 'relu', name: 'relu_fc', inputs: ['fc1'] },
      { kind: 'dropout', name: 'drop', inputs: ['relu_fc'], rate: 0.3 },
      { kind: 'dense', name: 'fc2', inputs: ['drop'], units: numClasses, bias: true },
      { kind: 'softmax_ce', name: 'loss', inputs: ['fc2'] },
    ],
  };
}
