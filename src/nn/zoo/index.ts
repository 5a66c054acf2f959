/**
 * The model zoo: the cDMA paper's six networks (AlexNet, OverFeat, NiN,
 * VGG-16, SqueezeNet, GoogLeNet) and ResNet-18 at their published ImageNet
 * shapes, and each in a `-small` variant for 28x28 / 32x32 inputs that trains
 * on a CPU in minutes; then the networks only the vDNN paper's evaluation
 * runs (its Torch AlexNet and GoogLeNet, and the very deep VGG-116 to VGG-416), for the
 * performance model. See docs/MODELS.md.
 */
import { InvalidArgumentError } from '../../errors.js';
import { analyzeModel } from '../shapes.js';
import type { ModelSpec } from '../spec.js';
import { alexnet, alexnetSmall, alexnetTorch } from './alexnet.js';
import type { InputShape } from './builder.js';
import type { ZooEntry } from './entry.js';
import { googlenet, googlenetSmall, googlenetTorch } from './googlenet.js';
import { nin, ninSmall } from './nin.js';
import { overfeat, overfeatSmall } from './overfeat.js';
import { resnet18, resnet18Small } from './resnet18.js';
import { squeezenet, squeezenetSmall } from './squeezenet.js';
import { vgg116, vgg16, vgg16Small, vgg216, vgg316, vgg416 } from './vgg16.js';

export type { InputShape } from './builder.js';

const ENTRIES: readonly ZooEntry[] = [
  alexnet,
  overfeat,
  nin,
  vgg16,
  squeezenet,
  googlenet,
  resnet18,
  alexnetTorch,
  googlenetTorch,
  vgg116,
  vgg216,
  vgg316,
  vgg416,
  alexnetSmall,
  overfeatSmall,
  ninSmall,
  vgg16Small,
  squeezenetSmall,
  googlenetSmall,
  resnet18Small,
];

export interface ZooModelInfo {
  readonly name: string;
  readonly description: string;
  /** Default per-example input [C, H, W]. */
  readonly inputShape: readonly [number, number, number];
  /** Default number of classes. */
  readonly numClasses: number;
}

export interface GetModelOptions {
  /** Per-example input [C, H, W]; default: the network's (see listModels). */
  readonly inputShape?: readonly [number, number, number];
  /** Classes of the final layer; default 1000 (ImageNet) or 10 (-small). */
  readonly numClasses?: number;
}

/** The zoo's networks in a stable order: full-size first (the vDNN-only ones last), then the -small variants. */
export function listModels(): ZooModelInfo[] {
  return ENTRIES.map((e) => ({
    name: e.name,
    description: e.description,
    inputShape: e.inputShape,
    numClasses: e.numClasses,
  }));
}

/** The -small networks (that train on a CPU in minutes), in listModels' order. */
export function smallModels(): string[] {
  return ENTRIES.map((e) => e.name).filter((n) => n.endsWith('-small'));
}

const isPosInt = (x: unknown): x is number =>
  typeof x === 'number' && Number.isSafeInteger(x) && x > 0;

/**
 * Builds a zoo network. Throws InvalidArgumentError for an unknown name
 * (listing the valid ones), a malformed option, or an input shape the
 * network cannot take (e.g. too small for its pooling).
 */
export function getModel(name: string, options: GetModelOptions = {}): ModelSpec {
  const entry = ENTRIES.find((e) => e.name === name);
  if (!entry) {
    throw new InvalidArgumentError(
      `unknown model '${name}'; valid models: ${ENTRIES.map((e) => e.name).join(', ')}`,
    );
  }
  const input = options.inputShape ?? entry.inputShape;
  if (!Array.isArray(input) || input.length !== 3 || !input.every(isPosInt)) {
    throw new InvalidArgumentError(
      `input shape must be three positive integers [C,H,W], got ${JSON.stringify(input)}`,
    );
  }
  const classes = options.numClasses ?? entry.numClasses;
  if (!isPosInt(classes) || classes < 2) {
    throw new InvalidArgumentError(`number of classes must be an integer >= 2, got ${classes}`);
  }
  let spec: ModelSpec;
  try {
    spec = entry.build([input[0], input[1], input[2]] as InputShape, classes);
    analyzeModel(spec);
  } catch (e) {
    if (e instanceof InvalidArgumentError) {
      throw new InvalidArgumentError(
        `model '${name}' cannot take input [${input.join(',')}]: ${e.message}` +
          `; its default input is [${entry.inputShape.join(',')}]`,
      );
    }
    throw e;
  }
  return spec;
}
