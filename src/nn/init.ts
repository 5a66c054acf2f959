/**
 * Seeded parameter initialisation. A weight feeding a ReLU (directly or
 * through batch normalisation) gets He (Kaiming) normal, std = sqrt(2/fanIn);
 * any other weight Glorot (Xavier) uniform, limit = sqrt(6/(fanIn+fanOut)).
 * Biases and batchnorm beta start at 0, batchnorm gamma at 1. Each parameter
 * draws from its own stream keyed by the seed and its name, so adding a layer
 * leaves the other layers' initial weights unchanged.
 */
import { fillNormal, fillUniform, hashString, streamKey } from './prng.js';

export type InitKind = 'he' | 'glorot' | 'zeros' | 'ones';

export interface InitRequest {
  readonly name: string;
  readonly kind: InitKind;
  readonly size: number;
  /** Inputs per output unit (conv: kh*kw*cin/groups) and outputs per input unit. */
  readonly fanIn?: number;
  readonly fanOut?: number;
}

export function initValues(seed: number, r: InitRequest): Float32Array {
  const out = new Float32Array(r.size);
  const stream = streamKey(seed, hashString(r.name));
  switch (r.kind) {
    case 'zeros':
      return out;
    case 'ones':
      return out.fill(1);
    case 'he':
      fillNormal(out, stream, Math.sqrt(2 / positive(r.fanIn, r.name)));
      return out;
    case 'glorot': {
      const limit = Math.sqrt(6 / (positive(r.fanIn, r.name) + positive(r.fanOut, r.name)));
      fillUniform(out, stream, -limit, limit);
      return out;
    }
  }
}

function positive(n: number | undefined, name: string): number {
  if (n === undefined || !(n > 0))
    throw new Error(`init of ${name}: fan must be positive, got ${n}`);
  return n;
}
