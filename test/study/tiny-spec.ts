/** A small network with every kind the recorder treats differently: ReLU, max pool, flatten, dropout. */
import type { ModelSpec } from '../../src/nn/spec.js';

export function tinySpec(): ModelSpec {
  return {
    name: 'tiny',
    description: 'test network',
    numClasses: 3,
    layers: [
      { name: 'data', kind: 'input', inputs: [], shape: [1, 8, 8] },
      {
        name: 'conv1',
        kind: 'conv2d',
        inputs: ['data'],
        filters: 4,
        kernel: [3, 3],
        stride: [1, 1],
        pad: [1, 1, 1, 1],
        groups: 1,
        bias: true,
      },
      { name: 'relu1', kind: 'relu', inputs: ['conv1'] },
      {
        name: 'pool1',
        kind: 'maxpool',
        inputs: ['relu1'],
        kernel: [2, 2],
        stride: [2, 2],
        pad: [0, 0, 0, 0],
      },
      { name: 'flat', kind: 'flatten', inputs: ['pool1'] },
      { name: 'fc1', kind: 'dense', inputs: ['flat'], units: 16, bias: true },
      { name: 'relu2', kind: 'relu', inputs: ['fc1'] },
      { name: 'drop', kind: 'dropout', inputs: ['relu2'], rate: 0.5 },
      { name: 'fc2', kind: 'dense', inputs: ['drop'], units: 3, bias: true },
      { name: 'loss', kind: 'softmax_ce', inputs: ['fc2'] },
    ],
  };
}
