/**
 * Which input shape a zoo network trains at on a given dataset: the
 * dataset's own shape when the network can take it (the -small variants
 * adapt to 28x28 grey or 32x32 RGB), else the network's default shape, to
 * which the data is then fitted (resized / padded, channels converted).
 */
import { InvalidArgumentError } from '../errors.js';
import type { Shape3 } from '../data/fit.js';
import { getModel, listModels } from '../nn/zoo/index.js';

export interface InputShapeChoice {
  readonly shape: Shape3;
  /** Why: 'requested', 'dataset' (native shape) or 'model' (the network's default). */
  readonly source: 'requested' | 'dataset' | 'model';
}

export function chooseInputShape(
  model: string,
  datasetShape: Shape3,
  numClasses: number,
  requested?: Shape3,
): InputShapeChoice {
  const info = listModels().find((m) => m.name === model);
  if (info === undefined) getModel(model); // throws the zoo's "unknown model" error with the list
  if (requested !== undefined) {
    getModel(model, { inputShape: requested, numClasses }); // throws when the network cannot take it
    return { shape: requested, source: 'requested' };
  }
  try {
    getModel(model, { inputShape: datasetShape, numClasses });
    return { shape: datasetShape, source: 'dataset' };
  } catch (e) {
    if (!(e instanceof InvalidArgumentError) || info === undefined) throw e;
    const [c, h, w] = info.inputShape;
    return { shape: [c, h, w], source: 'model' };
  }
}
