/** The model input: passes the batch through (a shared reference). Never has a backward pass. */
import { share } from '../share.js';
import type { InputSpec } from '../spec.js';
import type { Layer, LayerSetup } from './layer.js';

export function createInput(spec: InputSpec, setup: LayerSetup): Layer {
  return {
    spec,
    params: [],
    buffers: [],
    outputShape: setup.outputShape,
    forward: (inputs) => ({ output: share(inputs[0]) }),
    backward() {
      throw new Error('the input layer has no backward pass');
    },
  };
}
