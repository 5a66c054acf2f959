/**
 * Every layer kind by its `kind` string: the built-in kinds, one line each
 * below, and any kind registered later with registerLayerKind. Shape
 * inference (../shapes.ts), the layer graph, the executor's createLayer,
 * SAVED_FOR_BACKWARD and the performance model's density rule read it.
 */
import { InvalidArgumentError } from '../../errors.js';
import type { LayerKind, LayerSpec } from '../spec.js';
import { addKind } from './add.js';
import { avgpoolKind } from './avgpool.js';
import { batchnormKind } from './batchnorm.js';
import { concatKind } from './concat.js';
import { conv2dKind } from './conv2d.js';
import { denseKind } from './dense.js';
import { dropoutKind } from './dropout.js';
import { flattenKind } from './flatten.js';
import { globalAvgpoolKind } from './globalavgpool.js';
import { inputKind } from './input.js';
import type { LayerDescriptor, SavedRole } from './kind.js';
import { lrnKind } from './lrn.js';
import { maxpoolKind } from './maxpool.js';
import { reluKind } from './relu.js';
import { softmaxCeKind } from './softmax-ce.js';
import { activationInKind, activationKind } from './activation.js';
import { cropKind } from './crop.js';
import { depthwise2dKind } from './depthwise2d.js';
import { globalMaxpoolKind } from './globalmaxpool.js';
import { multiplyKind } from './multiply.js';
import { rescaleKind } from './rescale.js';
import { reshapeKind } from './reshape.js';
import { zeropadKind } from './zeropad.js';

const registry = new Map<string, LayerDescriptor>();

/**
 * What each registered kind saves for its backward pass (its descriptor's
 * `saves`), in registration order; a kind registered later appears here too.
 */
const saves: Record<string, readonly SavedRole[]> = {};
export const SAVED_FOR_BACKWARD = saves as Readonly<Record<LayerKind, readonly SavedRole[]>>;

/**
 * Adds a layer kind. Its spec type joins LayerSpec by declaration merging
 * (`declare module '.../nn/spec.js' { interface LayerSpecMap { mykind: MySpec } }`).
 * Throws InvalidArgumentError when the kind is already registered.
 */
export function registerLayerKind<S extends LayerSpec>(d: LayerDescriptor<S>): void {
  const kind: unknown = d.kind;
  if (typeof kind !== 'string' || kind === '') {
    throw new InvalidArgumentError(
      `a layer kind needs a non-empty kind string, got ${String(kind)}`,
    );
  }
  if (registry.has(kind)) {
    throw new InvalidArgumentError(`layer kind '${kind}' is already registered`);
  }
  registry.set(kind, d);
  saves[kind] = d.saves;
}

/** The descriptor of a registered kind, or undefined. */
export function findLayerKind(kind: string): LayerDescriptor | undefined {
  return registry.get(kind);
}

/**
 * The descriptor of a kind. Throws InvalidArgumentError for an unknown kind,
 * naming the layer when `layer` is given.
 */
export function layerKind(kind: string, layer?: string): LayerDescriptor {
  const d = registry.get(kind);
  if (d) return d;
  throw new InvalidArgumentError(
    layer === undefined
      ? `unknown layer kind '${kind}' (known: ${[...registry.keys()].join(', ')})`
      : `model layer '${layer}': unknown kind '${kind}'`,
  );
}

registerLayerKind(inputKind);
registerLayerKind(conv2dKind);
registerLayerKind(reluKind);
registerLayerKind(maxpoolKind);
registerLayerKind(avgpoolKind);
registerLayerKind(globalAvgpoolKind);
registerLayerKind(lrnKind);
registerLayerKind(denseKind);
registerLayerKind(dropoutKind);
registerLayerKind(concatKind);
registerLayerKind(addKind);
registerLayerKind(flattenKind);
registerLayerKind(batchnormKind);
registerLayerKind(softmaxCeKind);
registerLayerKind(depthwise2dKind);
registerLayerKind(activationKind);
registerLayerKind(activationInKind);
registerLayerKind(zeropadKind);
registerLayerKind(cropKind);
registerLayerKind(globalMaxpoolKind);
registerLayerKind(reshapeKind);
registerLayerKind(rescaleKind);
registerLayerKind(multiplyKind);
