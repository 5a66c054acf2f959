/**
 * Activations other than plain ReLU (relu6, Keras' general ReLU, leaky ReLU,
 * ELU, sigmoid, tanh, softmax over channels, swish), as two kinds that
 * differ in what they keep for backward: `activation` saves its output Y
 * (the gradient follows from it, and Y is usually the next layer's saved
 * input anyway), `activation_x` saves its input X (swish, and a ReLU whose
 * branches Y cannot tell apart). The importer picks with gradFromOutput.
 */
import type { ActivationInSpec, ActivationSpec } from '../spec.js';
import {
  activationForward,
  checkActivation,
  gradFromOutput,
  gradOfInput,
  gradOfOutput,
  makesZeros,
} from './activation-fns.js';
import type { BackwardArgs, BackwardResult, Layer, LayerSetup } from './layer.js';
import { type LayerDescriptor } from './kind.js';
import { elementwise, fail } from './rules.js';

function createActivation(spec: ActivationSpec | ActivationInSpec, setup: LayerSetup): Layer {
  return {
    spec,
    params: [],
    buffers: [],
    outputShape: setup.outputShape,
    forward: (inputs) => ({ output: activationForward(spec, inputs[0]) }),
    backward(a: BackwardArgs): BackwardResult {
      const dy = a.dy as import('@tensorflow/tfjs-core').Tensor;
      const dx =
        spec.kind === 'activation'
          ? gradOfOutput(spec, a.saved.output as typeof dy, dy)
          : gradOfInput(spec, a.saved.input as typeof dy, dy);
      return { inputGrads: [dx], paramGrads: [] };
    },
  };
}

export const activationKind: LayerDescriptor<ActivationSpec> = {
  kind: 'activation',
  arity: [1, 1],
  saves: ['output'],
  hasParams: false,
  view: false,
  analyze(l, xs) {
    checkActivation(l);
    if (!gradFromOutput(l)) {
      fail(
        l.name,
        `${l.fn} with these parameters needs its input for the gradient: use kind activation_x`,
      );
    }
    if (l.fn === 'softmax' && xs[0].length !== 1 && xs[0].length !== 3) {
      fail(l.name, `softmax needs a [C] or [C,H,W] input`);
    }
    return elementwise(xs[0], 4, 4);
  },
  density: (l) => (makesZeros(l) ? 1 : 0),
  create: createActivation,
};

export const activationInKind: LayerDescriptor<ActivationInSpec> = {
  kind: 'activation_x',
  arity: [1, 1],
  saves: ['input'],
  hasParams: false,
  view: false,
  analyze(l, xs) {
    checkActivation(l);
    return elementwise(xs[0], 4, 6);
  },
  density: (l) => (makesZeros(l) ? 1 : 0),
  create: createActivation,
};
