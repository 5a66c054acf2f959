/** The model input: passes the batch through (a shared reference). Never has a backward pass. */
import { share } from '../share.js';
import type { InputSpec } from '../spec.js';
import type { Layer, LayerSetup } from './layer.js';
import { denseOutput, type LayerDescriptor } from './kind.js';
import { fail, isPosInt, noCosts } from './rules.js';

function createInput(spec: InputSpec, setup: LayerSetup): Layer {
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

export const inputKind: LayerDescriptor<InputSpec> = {
  kind: 'input',
  arity: [0, 0],
  saves: [],
  hasParams: false,
  view: false,
  analyze(l) {
    if (!Array.isArray(l.shape) || l.shape.length !== 3 || !l.shape.every(isPosInt)) {
      fail(l.name, `shape must be three positive integers [C,H,W], got ${JSON.stringify(l.shape)}`);
    }
    return noCosts(l.shape);
  },
  density: denseOutput,
  create: createInput,
};
