/** The shape rule and costs max and average pooling share. */
import type { PoolSpec } from '../spec.js';
import type { LayerCosts, Shape } from './kind.js';
import { checkPad, checkPair, fail, featureMap, windowOut } from './rules.js';

export function poolCosts(l: PoolSpec, x: Shape): LayerCosts {
  const [c, h, w] = featureMap(l.name, x);
  checkPair(l.name, 'kernel', l.kernel);
  checkPair(l.name, 'stride', l.stride);
  checkPad(l.name, l.pad);
  const [kh, kw] = l.kernel;
  const [pt, pb, pl, pr] = l.pad;
  if (pt >= kh || pb >= kh || pl >= kw || pr >= kw) {
    fail(l.name, `pooling pad [${l.pad.join(',')}] must be smaller than the kernel`);
  }
  const oh = windowOut(l.name, h, kh, l.stride[0], pt, pb);
  const ow = windowOut(l.name, w, kw, l.stride[1], pl, pr);
  const out = c * oh * ow;
  // One compare (max) or add (avg) per window element; the backward pass
  // routes (max: compares input with output) or spreads each gradient.
  const work = out * kh * kw;
  return {
    outputShape: [c, oh, ow],
    params: 0,
    forwardFlops: work,
    paramGradFlops: 0,
    inputGradFlops: work,
  };
}
