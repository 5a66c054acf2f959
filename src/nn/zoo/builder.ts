/**
 * A small helper that writes ModelSpecs: each method appends one layer (or a
 * conv + ReLU pair), fills in its name and inputs, tracks its output shape,
 * and returns the layer's name for the next call. Caffe's ceil-mode pooling
 * becomes explicit extra bottom/right padding here, so specs stay plain data.
 */
import type { LayerSpec, ModelSpec, Pad4, Pair } from '../spec.js';
import { layerOutputShape } from '../shapes.js';

export type InputShape = readonly [c: number, h: number, w: number];

export interface ConvOptions {
  readonly stride?: number;
  /** Symmetric padding, or explicit [top, bottom, left, right]. */
  readonly pad?: number | Pad4;
  readonly groups?: number;
  /** Default true. */
  readonly bias?: boolean;
}

export interface PoolOptions {
  readonly pad?: number;
  /** Caffe's rounding: output = ceil((in + 2 pad - k) / stride) + 1. Default false (floor). */
  readonly ceil?: boolean;
}

const pad4 = (p: number | Pad4): Pad4 => (typeof p === 'number' ? [p, p, p, p] : p);
const pair = (n: number): Pair => [n, n];

/** Extra bottom/right padding that makes floor-mode pooling equal Caffe's ceil mode. */
export function ceilModeExtraPad(
  size: number,
  kernel: number,
  stride: number,
  pad: number,
): number {
  const span = size + 2 * pad - kernel;
  if (span < 0) return 0; // too small either way; validation reports it
  let out = Math.ceil(span / stride) + 1;
  // Caffe drops a last window that would start inside the padding.
  if ((out - 1) * stride >= size + pad) out -= 1;
  return Math.max(0, (out - 1) * stride + kernel - (size + 2 * pad));
}

export class ModelBuilder {
  private readonly layers: LayerSpec[] = [];
  private readonly shapes = new Map<string, readonly number[]>();

  constructor(
    inputShape: InputShape,
    readonly inputName = 'data',
  ) {
    this.push({ kind: 'input', name: inputName, inputs: [], shape: inputShape });
  }

  /** Per-example output shape of a layer added so far. */
  shape(name: string): readonly number[] {
    const s = this.shapes.get(name);
    if (!s) throw new Error(`builder: no layer '${name}'`);
    return s;
  }

  /** Appends any layer; returns its name. */
  push(layer: LayerSpec): string {
    this.shapes.set(
      layer.name,
      layerOutputShape(
        layer,
        layer.inputs.map((i) => this.shape(i)),
      ),
    );
    this.layers.push(layer);
    return layer.name;
  }

  conv(name: string, from: string, filters: number, kernel: number, o: ConvOptions = {}): string {
    return this.push({
      kind: 'conv2d',
      name,
      inputs: [from],
      filters,
      kernel: pair(kernel),
      stride: pair(o.stride ?? 1),
      pad: pad4(o.pad ?? 0),
      groups: o.groups ?? 1,
      bias: o.bias ?? true,
    });
  }

  relu(name: string, from: string): string {
    return this.push({ kind: 'relu', name, inputs: [from] });
  }

  /** A convolution named `name` followed by a ReLU named `name/relu`; returns the ReLU. */
  convRelu(
    name: string,
    from: string,
    filters: number,
    kernel: number,
    o: ConvOptions = {},
  ): string {
    return this.relu(`${name}/relu`, this.conv(name, from, filters, kernel, o));
  }

  maxpool(name: string, from: string, kernel: number, stride: number, o: PoolOptions = {}): string {
    return this.pool('maxpool', name, from, kernel, stride, o);
  }

  avgpool(name: string, from: string, kernel: number, stride: number, o: PoolOptions = {}): string {
    return this.pool('avgpool', name, from, kernel, stride, o);
  }

  private pool(
    kind: 'maxpool' | 'avgpool',
    name: string,
    from: string,
    kernel: number,
    stride: number,
    o: PoolOptions,
  ): string {
    const p = o.pad ?? 0;
    const [, h, w] = this.shape(from);
    const eh = o.ceil ? ceilModeExtraPad(h, kernel, stride, p) : 0;
    const ew = o.ceil ? ceilModeExtraPad(w, kernel, stride, p) : 0;
    return this.push({
      kind,
      name,
      inputs: [from],
      kernel: pair(kernel),
      stride: pair(stride),
      pad: [p, p + eh, p, p + ew],
    });
  }

  globalAvgPool(name: string, from: string): string {
    return this.push({ kind: 'globalavgpool', name, inputs: [from] });
  }

  /** Across-channel LRN; AlexNet's and GoogLeNet's: size 5, alpha 1e-4, beta 0.75, k 1. */
  lrn(name: string, from: string, size = 5, alpha = 1e-4, beta = 0.75, k = 1): string {
    return this.push({ kind: 'lrn', name, inputs: [from], size, alpha, beta, k });
  }

  batchnorm(name: string, from: string, epsilon = 1e-5, momentum = 0.1): string {
    return this.push({ kind: 'batchnorm', name, inputs: [from], epsilon, momentum });
  }

  dense(name: string, from: string, units: number, bias = true): string {
    return this.push({ kind: 'dense', name, inputs: [from], units, bias });
  }

  dropout(name: string, from: string, rate: number): string {
    return this.push({ kind: 'dropout', name, inputs: [from], rate });
  }

  flatten(name: string, from: string): string {
    return this.push({ kind: 'flatten', name, inputs: [from] });
  }

  concat(name: string, from: readonly string[]): string {
    return this.push({ kind: 'concat', name, inputs: from });
  }

  add(name: string, from: readonly string[]): string {
    return this.push({ kind: 'add', name, inputs: from });
  }

  /** Appends the softmax cross-entropy sink on `logits` and returns the spec. */
  finish(
    logits: string,
    meta: { name: string; description: string; numClasses: number },
    lossName = 'loss',
  ): ModelSpec {
    this.push({ kind: 'softmax_ce', name: lossName, inputs: [logits] });
    return { ...meta, layers: [...this.layers] };
  }
}
