/** Cropping of a feature map ([top, bottom, left, right] removed). Saves nothing; dX is dY zero-padded back. */
import type { CropSpec } from '../spec.js';
import { inheritDensity, type LayerDescriptor } from './kind.js';
import { fail, featureMap, isNonNegInt } from './rules.js';
import { createBorder } from './zeropad.js';

export const cropKind: LayerDescriptor<CropSpec> = {
  kind: 'crop',
  arity: [1, 1],
  saves: [],
  hasParams: false,
  view: false,
  analyze(l, xs) {
    const [c, h, w] = featureMap(l.name, xs[0]);
    if (!Array.isArray(l.crop) || l.crop.length !== 4 || !l.crop.every(isNonNegInt)) {
      fail(l.name, `crop must be four non-negative integers, got ${JSON.stringify(l.crop)}`);
    }
    const [t, b, le, r] = l.crop;
    if (t + b >= h || le + r >= w) {
      fail(l.name, `cropping [${l.crop.join(',')}] leaves nothing of a ${h}x${w} feature map`);
    }
    return {
      outputShape: [c, h - t - b, w - le - r],
      params: 0,
      forwardFlops: 0,
      paramGradFlops: 0,
      inputGradFlops: 0,
    };
  },
  density: inheritDensity,
  create: (spec, setup) => createBorder(spec, setup, -1),
};
