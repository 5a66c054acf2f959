/**
 * A TensorFlow.js Layers model (Sequential or functional, nested models
 * included; Keras models converted with tensorflowjs_converter) as a cdma
 * ModelSpec with its weights, for the layer-wise executor.
 *
 * The graph is walked from the model's output back to its input, so the
 * spec's layers come out in a topological order. Each Keras layer becomes
 * one spec layer of the same name, or a few: a fused activation becomes
 * `<name>/<activation>` after it, a SeparableConv2D `<name>/depthwise` then
 * the pointwise `<name>`, 'same' padding explicit pads (TensorFlow's rule:
 * the odd pixel at the bottom/right). A linear activation is nothing. The
 * model's final softmax joins the loss (softmax_ce), whose output then equals
 * the model's prediction; a final sigmoid or linear output leaves logits.
 *
 * channels_last only; one image input [H, W, 1 or 3]... any channel count;
 * one [batch, classes] output. An unsupported layer is an error naming it,
 * its class and what is supported.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
// Layers models build their weights on a backend: the cpu one is always there.
import '@tensorflow/tfjs-backend-cpu';
import { InvalidArgumentError } from '../errors.js';
import { gradFromOutput } from '../nn/layers/activation-fns.js';
import type { ActivationFn, LayerSpec, ModelSpec, Pad4, Pair } from '../nn/spec.js';

/** The Keras classes the importer converts. */
export const SUPPORTED_CLASSES: readonly string[] = [
  'InputLayer',
  'Conv2D',
  'DepthwiseConv2D',
  'SeparableConv2D',
  'Dense',
  'BatchNormalization',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'ZeroPadding2D',
  'Cropping2D',
  'Add',
  'Concatenate',
  'Multiply',
  'Dropout',
  'SpatialDropout2D',
  'Flatten',
  'Reshape',
  'Rescaling',
];

/** Keras activation names the importer takes. */
export const SUPPORTED_ACTIVATIONS: readonly string[] = [
  'linear',
  'relu',
  'relu6',
  'elu',
  'sigmoid',
  'tanh',
  'softmax',
  'swish',
];

/** Where one Keras weight lives in the executor. */
export interface WeightLink {
  /** The Keras layer and the weight's position in its `weights`. */
  readonly layer: string;
  readonly index: number;
  /** The executor's parameter or buffer name. */
  readonly target: string;
}

export interface ImportOptions {
  /**
   * Which layers keep their weights: undefined follows the model's own
   * `trainable` flags; 'none' trains every layer; a layer name freezes that
   * layer and every layer before it in the spec's order (and trains the rest).
   */
  readonly freezeTo?: string;
  /** Replace the classifier (the Dense layer giving the logits) with a new one of this many classes. */
  readonly classes?: number;
  /** Name of the spec (default the model's file name or the model's name). */
  readonly name?: string;
}

export interface ImportedModel {
  readonly spec: ModelSpec;
  /** Starting values of the executor's parameters and buffers (the replaced head's excluded). */
  readonly initialValues: ReadonlyMap<string, Float32Array>;
  readonly links: readonly WeightLink[];
  /** The spec layer whose output, after outputActivation, is the model's prediction. */
  readonly outputLayer: string;
  readonly outputActivation: 'softmax' | 'sigmoid' | 'linear';
  /** The Keras Dense layer that gives the logits, when there is one. */
  readonly head?: { readonly layer: string; readonly units: number; readonly replaced: boolean };
  /** Keras layers whose weights stay fixed. */
  readonly frozen: readonly string[];
  /** Per Keras layer (nested models' included), the spec layer whose output is its output. */
  readonly outputs: ReadonlyMap<string, string>;
  /** Per-example input shape [C, H, W]. */
  readonly inputShape: readonly [number, number, number];
}

type Config = Record<string, unknown>;

/**
 * Keras' SpatialDropout2D, which tfjs-layers 4.22 lacks: registered so that
 * tfjs loads models that have it (identity at inference, as in Keras); the
 * importer makes it a spatial dropout layer.
 */
class SpatialDropout2D extends tfl.layers.Layer {
  static readonly className = 'SpatialDropout2D';
  readonly rate: number;
  constructor(args: { rate: number; name?: string; trainable?: boolean }) {
    super(args);
    this.rate = args.rate;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.clone(x);
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate };
  }
}
tf.serialization.registerClass(SpatialDropout2D);

/** A SpatialDropout2D layer for building models in code (tests, tools). */
export function spatialDropout2d(args: { rate: number; name?: string }): tfl.layers.Layer {
  return new SpatialDropout2D(args);
}

interface Node {
  readonly inputTensors: tfl.SymbolicTensor[];
}

interface KLayer {
  readonly name: string;
  readonly trainable: boolean;
  readonly inboundNodes: Node[];
  readonly weights: { readonly originalName: string; read(): tf.Tensor }[];
  getClassName(): string;
  getConfig(): Config;
}

/** A nested model used as a layer. */
interface KModel extends KLayer {
  readonly inputs: tfl.SymbolicTensor[];
  readonly outputs: tfl.SymbolicTensor[];
  readonly layers: KLayer[];
}

const isModel = (l: KLayer): l is KModel =>
  Array.isArray((l as Partial<KModel>).layers) && Array.isArray((l as Partial<KModel>).inputs);

function unsupported(l: KLayer, what: string): never {
  throw new InvalidArgumentError(
    `layer '${l.name}' (${l.getClassName()}): ${what}; cdma imports ${SUPPORTED_CLASSES.join(', ')}`,
  );
}

function pair(v: unknown, l: KLayer, field: string): Pair {
  const a = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(a) || a.length !== 2 || !a.every((x) => Number.isSafeInteger(x) && x > 0)) {
    unsupported(l, `${field} ${JSON.stringify(v)} is not two positive integers`);
  }
  return [a[0] as number, a[1] as number];
}

/** Keras ZeroPadding2D / Cropping2D amounts as [top, bottom, left, right]. */
function borders(v: unknown, l: KLayer, field: string): Pad4 {
  const ok = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
  if (ok(v)) return [v, v, v, v];
  if (Array.isArray(v) && v.length === 2) {
    const [a, b] = v as unknown[];
    if (ok(a) && ok(b)) return [a, a, b, b];
    if (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === 2 &&
      b.length === 2 &&
      [...a, ...b].every(ok)
    ) {
      return [a[0], a[1], b[0], b[1]];
    }
  }
  unsupported(l, `${field} ${JSON.stringify(v)} is not understood`);
}

/** TensorFlow's padding for 'valid' or 'same' along one axis: [before, after]. */
function samePad(size: number, kernel: number, stride: number, dilation: number): [number, number] {
  const k = (kernel - 1) * dilation + 1;
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + k - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function padding(
  l: KLayer,
  mode: unknown,
  hw: readonly [number, number],
  kernel: Pair,
  stride: Pair,
  dilation: Pair,
): Pad4 {
  if (mode === 'valid') return [0, 0, 0, 0];
  if (mode !== 'same') unsupported(l, `padding '${String(mode)}' is not 'valid' or 'same'`);
  const [t, b] = samePad(hw[0], kernel[0], stride[0], dilation[0]);
  const [le, r] = samePad(hw[1], kernel[1], stride[1], dilation[1]);
  return [t, b, le, r];
}

/** The Keras activation of a layer config as a spec activation, or null for linear. */
function activationOf(
  l: KLayer,
  name: unknown,
): { kind: 'relu' } | { kind: 'activation' | 'activation_x'; fn: ActivationFn } | null {
  const n = typeof name === 'string' ? name : (name as { className?: string })?.className;
  switch (n) {
    case undefined:
    case null:
    case 'linear':
      return null;
    case 'relu':
      return { kind: 'relu' };
    case 'relu6':
    case 'elu':
    case 'sigmoid':
    case 'tanh':
    case 'softmax':
      return { kind: 'activation', fn: n };
    case 'swish':
      return { kind: 'activation_x', fn: 'swish' };
    default:
      throw new InvalidArgumentError(
        `layer '${l.name}' (${l.getClassName()}): activation '${String(n)}' is not supported; cdma takes ${SUPPORTED_ACTIVATIONS.join(', ')}`,
      );
  }
}

function checkChannelsLast(l: KLayer, c: Config): void {
  const f = c.dataFormat;
  if (f !== undefined && f !== null && f !== 'channelsLast' && f !== 'channels_last') {
    unsupported(l, `data format ${String(f)}: only channels_last models are imported`);
  }
}

/** [C,H,W] or [C] from a Keras per-example shape. */
function specShape(l: KLayer, s: readonly (number | null)[]): number[] {
  if (!s.every((d) => typeof d === 'number' && d > 0)) {
    unsupported(l, `shape [${s.join(', ')}] has unknown dimensions`);
  }
  if (s.length === 3) return [s[2] as number, s[0] as number, s[1] as number];
  if (s.length === 1) return [s[0] as number];
  unsupported(l, `shape [${s.join(', ')}] is not [H, W, C] or [features]`);
}

class Importer {
  readonly layers: LayerSpec[] = [];
  readonly links: WeightLink[] = [];
  readonly values = new Map<string, Float32Array>();
  /** Keras layer -> spec layers made from it. */
  readonly made = new Map<string, string[]>();
  readonly trainable = new Map<string, boolean>();
  readonly shapes = new Map<string, readonly number[]>();
  /** Keras layer -> the spec layer whose output is its output. */
  readonly outputOf = new Map<string, string>();
  /** Spec name of each symbolic tensor (by id) in each nested-model context. */
  private readonly seen = new Map<string, string>();
  private readonly converted = new Set<KLayer>();
  /** Raw Keras configs by layer name (what tfjs drops, e.g. ReLU's negative_slope). */
  private readonly raw: ReadonlyMap<string, Config>;

  constructor(raw: ReadonlyMap<string, Config>) {
    this.raw = raw;
  }

  private add(from: KLayer, spec: LayerSpec, shape: readonly number[]): string {
    if (this.shapes.has(spec.name)) {
      throw new InvalidArgumentError(
        `layer name '${spec.name}' appears twice in the model; cdma needs unique layer names`,
      );
    }
    this.layers.push(spec);
    this.shapes.set(spec.name, shape);
    const list = this.made.get(from.name) ?? [];
    list.push(spec.name);
    this.made.set(from.name, list);
    this.trainable.set(from.name, from.trainable);
    return spec.name;
  }

  private link(from: KLayer, index: number, target: string): void {
    const w = from.weights[index];
    const t = w.read();
    this.values.set(target, t.dataSync().slice() as Float32Array);
    this.links.push({ layer: from.name, index, target });
  }

  /** Links a layer's weights by their Keras names (the part after the last '/'). */
  private linkNamed(from: KLayer, names: Record<string, string>): void {
    from.weights.forEach((w, i) => {
      const short = w.originalName.slice(w.originalName.lastIndexOf('/') + 1).replace(/_\d+$/, '');
      const target = names[short];
      if (target === undefined) unsupported(from, `weight '${w.originalName}' is not understood`);
      this.link(from, i, target);
    });
  }

  private withActivation(from: KLayer, input: string, act: unknown): string {
    const a = activationOf(from, act);
    if (!a) return input;
    const shape = this.shapes.get(input) as readonly number[];
    const name = `${from.name}/${a.kind === 'relu' ? 'relu' : a.fn}`;
    const spec: LayerSpec =
      a.kind === 'relu'
        ? { kind: 'relu', name, inputs: [input] }
        : { kind: a.kind, name, inputs: [input], fn: a.fn };
    return this.add(from, spec, shape);
  }

  /** The spec name of a symbolic tensor, converting what produces it first. */
  visit(
    t: tfl.SymbolicTensor,
    ctx: string,
    inputs: ReadonlyMap<tfl.SymbolicTensor, string>,
  ): string {
    const key = `${ctx}#${t.id}`;
    const done = this.seen.get(key);
    if (done !== undefined) return done;
    const given = inputs.get(t);
    if (given !== undefined) return given;
    const l = t.sourceLayer as unknown as KLayer;
    const node = l.inboundNodes[t.nodeIndex];
    if (l.getClassName() === 'InputLayer') {
      throw new InvalidArgumentError(
        `the model has more than one input (${l.name}); cdma imports models with one image input`,
      );
    }
    if (this.converted.has(l)) {
      unsupported(l, 'it is called more than once (shared weights), which cdma does not import');
    }
    this.converted.add(l);
    const ins = node.inputTensors.map((x) => this.visit(x, ctx, inputs));
    let out: string;
    if (isModel(l)) {
      if (l.outputs.length !== 1) unsupported(l, 'a nested model with several outputs');
      const inner = new Map(l.inputs.map((x, i) => [x, ins[i]] as const));
      out = this.visit(l.outputs[0], `${ctx}/${l.name}`, inner);
    } else {
      out = this.convert(l, ins);
    }
    this.outputOf.set(l.name, out);
    this.seen.set(key, out);
    return out;
  }

  addInput(l: KLayer, shape: readonly (number | null)[]): string {
    const s = specShape(l, shape);
    if (s.length !== 3) unsupported(l, 'the model input must be an image [H, W, C]');
    return this.add(
      l,
      { kind: 'input', name: l.name, inputs: [], shape: s as [number, number, number] },
      s,
    );
  }

  private convert(l: KLayer, ins: string[]): string {
    const c = l.getConfig();
    const cls = l.getClassName();
    const inShapes = ins.map((n) => this.shapes.get(n) as readonly number[]);
    const x = inShapes[0];
    const fmap = (): readonly [number, number, number] => {
      if (x.length !== 3)
        unsupported(l, `needs a feature map input [H, W, C], got [${x.join(', ')}]`);
      return [x[0], x[1], x[2]];
    };
    const one = (): string => {
      if (ins.length !== 1) unsupported(l, `takes one input, got ${ins.length}`);
      return ins[0];
    };
    const name = l.name;
    checkChannelsLast(l, c);
    switch (cls) {
      case 'Conv2D':
      case 'DepthwiseConv2D':
      case 'SeparableConv2D': {
        const input = one();
        const [ch, h, w] = fmap();
        const kernel = pair(c.kernelSize, l, 'kernel_size');
        const stride = pair(c.strides ?? 1, l, 'strides');
        const dilation = pair(c.dilationRate ?? 1, l, 'dilation_rate');
        const pad = padding(l, c.padding, [h, w], kernel, stride, dilation);
        const bias = c.useBias !== false;
        const dil = dilation[0] > 1 || dilation[1] > 1 ? { dilation } : {};
        if (cls === 'Conv2D') {
          const groups = typeof c.groups === 'number' ? c.groups : 1;
          const filters = c.filters as number;
          const spec: LayerSpec = {
            kind: 'conv2d',
            name,
            inputs: [input],
            filters,
            kernel,
            stride,
            pad,
            groups,
            bias,
            ...dil,
          };
          const out = this.add(l, spec, outShape(l, spec, [ch, h, w]));
          this.linkNamed(l, { kernel: `${name}/weight`, bias: `${name}/bias` });
          return this.withActivation(l, out, c.activation);
        }
        const multiplier = typeof c.depthMultiplier === 'number' ? c.depthMultiplier : 1;
        const dwName = cls === 'DepthwiseConv2D' ? name : `${name}/depthwise`;
        const dw: LayerSpec = {
          kind: 'depthwise2d',
          name: dwName,
          inputs: [input],
          multiplier,
          kernel,
          stride,
          pad,
          bias: cls === 'DepthwiseConv2D' && bias,
          ...dil,
        };
        const dwOut = this.add(l, dw, outShape(l, dw, [ch, h, w]));
        if (cls === 'DepthwiseConv2D') {
          this.linkNamed(l, { depthwise_kernel: `${name}/weight`, bias: `${name}/bias` });
          return this.withActivation(l, dwOut, c.activation);
        }
        const pw: LayerSpec = {
          kind: 'conv2d',
          name,
          inputs: [dwOut],
          filters: c.filters as number,
          kernel: [1, 1],
          stride: [1, 1],
          pad: [0, 0, 0, 0],
          groups: 1,
          bias,
        };
        const dwShape = this.shapes.get(dwOut) as readonly number[];
        const out = this.add(l, pw, [c.filters as number, dwShape[1], dwShape[2]]);
        this.linkNamed(l, {
          depthwise_kernel: `${dwName}/weight`,
          pointwise_kernel: `${name}/weight`,
          bias: `${name}/bias`,
        });
        return this.withActivation(l, out, c.activation);
      }
      case 'Dense': {
        const input = one();
        if (x.length !== 1) {
          unsupported(l, `a Dense layer on a [${x.join(', ')}] input (add a Flatten before it)`);
        }
        const units = c.units as number;
        const bias = c.useBias !== false;
        const out = this.add(l, { kind: 'dense', name, inputs: [input], units, bias }, [units]);
        this.linkNamed(l, { kernel: `${name}/weight`, bias: `${name}/bias` });
        return this.withActivation(l, out, c.activation);
      }
      case 'BatchNormalization': {
        const input = one();
        const axis = c.axis;
        const last = x.length === 3 ? [3, -1] : [1, -1];
        const ax = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
        if (!last.includes(ax as number))
          unsupported(l, `axis ${JSON.stringify(axis)} is not the channel axis`);
        const scale = c.scale !== false;
        const center = c.center !== false;
        const spec: LayerSpec = {
          kind: 'batchnorm',
          name,
          inputs: [input],
          epsilon: c.epsilon as number,
          momentum: 1 - (c.momentum as number),
          scale,
          center,
        };
        const out = this.add(l, spec, x);
        this.linkNamed(l, {
          gamma: `${name}/gamma`,
          beta: `${name}/beta`,
          moving_mean: `${name}/running_mean`,
          moving_variance: `${name}/running_var`,
        });
        return out;
      }
      case 'Activation':
        return this.withActivationNamed(l, one(), c.activation, x);
      case 'ReLU': {
        const input = one();
        const r = this.raw.get(name) ?? {};
        const max = numberOr(c.maxValue ?? r.max_value, undefined);
        const slope = numberOr(r.negative_slope, 0) as number;
        const threshold = numberOr(r.threshold, 0) as number;
        if (max === undefined && slope === 0 && threshold === 0) {
          return this.add(l, { kind: 'relu', name, inputs: [input] }, x);
        }
        if (max === 6 && slope === 0 && threshold === 0) {
          return this.add(l, { kind: 'activation', name, inputs: [input], fn: 'relu6' }, x);
        }
        const fields = {
          name,
          inputs: [input],
          fn: 'relu_ext' as const,
          slope,
          threshold,
          ...(max === undefined ? {} : { max }),
        };
        const kind = gradFromOutput({ kind: 'activation', ...fields })
          ? 'activation'
          : 'activation_x';
        return this.add(l, { kind, ...fields }, x);
      }
      case 'LeakyReLU': {
        const alpha = numberOr(c.alpha, 0.3) as number;
        const fields = { name, inputs: [one()], fn: 'leaky_relu' as const, alpha };
        const kind = gradFromOutput({ kind: 'activation', ...fields })
          ? 'activation'
          : 'activation_x';
        return this.add(l, { kind, ...fields }, x);
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const input = one();
        const [ch, h, w] = fmap();
        const kernel = pair(c.poolSize ?? 2, l, 'pool_size');
        const stride = pair(c.strides ?? kernel, l, 'strides');
        const pad = padding(l, c.padding, [h, w], kernel, stride, [1, 1]);
        const kind = cls === 'MaxPooling2D' ? 'maxpool' : 'avgpool';
        const spec: LayerSpec = { kind, name, inputs: [input], kernel, stride, pad };
        return this.add(l, spec, outShape(l, spec, [ch, h, w]));
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        const input = one();
        const [ch] = fmap();
        const kind = cls === 'GlobalAveragePooling2D' ? 'globalavgpool' : 'globalmaxpool';
        const keep = c.keepdims === true || c.keepDims === true;
        const pooled = this.add(l, { kind, name: keep ? `${name}/pool` : name, inputs: [input] }, [
          ch,
        ]);
        if (!keep) return pooled;
        return this.add(l, { kind: 'reshape', name, inputs: [pooled], shape: [ch, 1, 1] }, [
          ch,
          1,
          1,
        ]);
      }
      case 'ZeroPadding2D': {
        const [ch, h, w] = fmap();
        const pad = borders(c.padding, l, 'padding');
        return this.add(l, { kind: 'zeropad', name, inputs: [one()], pad }, [
          ch,
          h + pad[0] + pad[1],
          w + pad[2] + pad[3],
        ]);
      }
      case 'Cropping2D': {
        const [ch, h, w] = fmap();
        const crop = borders(c.cropping, l, 'cropping');
        return this.add(l, { kind: 'crop', name, inputs: [one()], crop }, [
          ch,
          h - crop[0] - crop[1],
          w - crop[2] - crop[3],
        ]);
      }
      case 'Add':
      case 'Multiply': {
        for (const s of inShapes) {
          if (s.join() !== x.join()) {
            unsupported(
              l,
              `inputs of different shapes [${inShapes.map((t) => t.join(',')).join('] [')}] (broadcasting)`,
            );
          }
        }
        const kind = cls === 'Add' ? 'add' : 'multiply';
        return this.add(l, { kind, name, inputs: ins }, x);
      }
      case 'Concatenate': {
        const axis = c.axis as number;
        const rank = x.length + 1;
        if (axis !== -1 && axis !== rank - 1)
          unsupported(l, `axis ${axis} is not the channel axis`);
        for (const s of inShapes) {
          if (s.length !== x.length || s.slice(1).join() !== x.slice(1).join()) {
            unsupported(l, 'inputs that differ in more than channels');
          }
        }
        const channels = inShapes.reduce((a, s) => a + s[0], 0);
        return this.add(l, { kind: 'concat', name, inputs: ins }, [channels, ...x.slice(1)]);
      }
      case 'Dropout':
      case 'SpatialDropout2D': {
        const input = one();
        if (c.noiseShape !== undefined && c.noiseShape !== null) unsupported(l, 'a noise_shape');
        const rate = (c.rate ?? (l as unknown as { rate?: number }).rate) as number;
        if (cls === 'SpatialDropout2D') fmap();
        const spatial = cls === 'SpatialDropout2D' ? { spatial: true } : {};
        return this.add(l, { kind: 'dropout', name, inputs: [input], rate, ...spatial }, x);
      }
      case 'Flatten': {
        const n = x.reduce((a, b) => a * b, 1);
        return this.add(l, { kind: 'flatten', name, inputs: [one()] }, [n]);
      }
      case 'Reshape': {
        const target = c.targetShape as (number | null)[];
        const n = x.reduce((a, b) => a * b, 1);
        const known = target.filter((d) => d !== null && d !== -1) as number[];
        const free = target.length - known.length;
        const prod = known.reduce((a, b) => a * b, 1);
        const full =
          free === 1 ? target.map((d) => (d === null || d === -1 ? n / prod : d)) : target;
        const shape = specShape(l, full);
        return this.add(l, { kind: 'reshape', name, inputs: [one()], shape }, shape);
      }
      case 'Rescaling': {
        const scale = c.scale;
        const offset = c.offset ?? 0;
        if (typeof scale !== 'number' || typeof offset !== 'number') {
          unsupported(l, 'per-channel scale or offset (scalars only)');
        }
        return this.add(l, { kind: 'rescale', name, inputs: [one()], scale, offset }, x);
      }
      default:
        unsupported(l, 'this layer class is not supported');
    }
  }

  private withActivationNamed(
    l: KLayer,
    input: string,
    act: unknown,
    x: readonly number[],
  ): string {
    const a = activationOf(l, act);
    if (!a) {
      // linear: the layer's output is its input's.
      this.made.set(l.name, this.made.get(l.name) ?? []);
      this.trainable.set(l.name, l.trainable);
      return input;
    }
    const name = l.name;
    const spec: LayerSpec =
      a.kind === 'relu'
        ? { kind: 'relu', name, inputs: [input] }
        : { kind: a.kind, name, inputs: [input], fn: a.fn };
    return this.add(l, spec, x);
  }
}

function numberOr(v: unknown, d: number | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : d;
}

/** Output shape of a windowed layer ([C,H,W] in, spec convention). */
function outShape(l: KLayer, spec: LayerSpec, x: readonly [number, number, number]): number[] {
  if (
    spec.kind !== 'conv2d' &&
    spec.kind !== 'depthwise2d' &&
    spec.kind !== 'maxpool' &&
    spec.kind !== 'avgpool'
  ) {
    throw new Error('not a windowed layer');
  }
  const [ch, h, w] = x;
  const d = 'dilation' in spec && spec.dilation ? spec.dilation : [1, 1];
  const oh =
    Math.floor(
      (h + spec.pad[0] + spec.pad[1] - ((spec.kernel[0] - 1) * d[0] + 1)) / spec.stride[0],
    ) + 1;
  const ow =
    Math.floor(
      (w + spec.pad[2] + spec.pad[3] - ((spec.kernel[1] - 1) * d[1] + 1)) / spec.stride[1],
    ) + 1;
  if (!(oh > 0 && ow > 0)) unsupported(l, `its window does not fit its ${h}x${w} input`);
  const c =
    spec.kind === 'conv2d' ? spec.filters : spec.kind === 'depthwise2d' ? ch * spec.multiplier : ch;
  return [c, oh, ow];
}

/** Raw layer configs by name from a model.json's topology (Keras or tfjs form, nested models too). */
export function rawConfigs(topology: unknown): Map<string, Config> {
  const out = new Map<string, Config>();
  const walk = (v: unknown): void => {
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    const cfg = o.config as Record<string, unknown> | undefined;
    if (typeof o.class_name === 'string' && cfg && typeof cfg === 'object') {
      if (
        typeof cfg.name === 'string' &&
        o.class_name !== 'Sequential' &&
        o.class_name !== 'Model' &&
        o.class_name !== 'Functional'
      ) {
        out.set(cfg.name, cfg);
      }
      if (Array.isArray(cfg.layers)) cfg.layers.forEach(walk);
      if (Array.isArray(cfg)) (cfg as unknown[]).forEach(walk);
    }
    if (o.model_config) walk(o.model_config);
  };
  walk(topology);
  return out;
}

/**
 * The model as a spec and weights. `raw` gives the layer configs of its
 * model.json (see rawConfigs) for what tfjs does not keep.
 */
export function importLayersModel(
  model: tfl.LayersModel,
  opts: ImportOptions = {},
  raw: ReadonlyMap<string, Config> = new Map(),
): ImportedModel {
  if (model.inputs.length !== 1) {
    throw new InvalidArgumentError(
      `the model has ${model.inputs.length} inputs; cdma imports models with one image input`,
    );
  }
  if (model.outputs.length !== 1) {
    throw new InvalidArgumentError(
      `the model has ${model.outputs.length} outputs; cdma imports classifiers with one output`,
    );
  }
  const imp = new Importer(raw);
  const inTensor = model.inputs[0];
  const inLayer = inTensor.sourceLayer as unknown as KLayer;
  const first = imp.addInput(inLayer, inTensor.shape.slice(1));
  const out = imp.visit(model.outputs[0], '', new Map([[inTensor, first]]));
  const outShapeK = model.outputs[0].shape;
  if (outShapeK.length !== 2 || typeof outShapeK[1] !== 'number') {
    throw new InvalidArgumentError(
      `the model's output is [${outShapeK.map((d) => d ?? 'batch').join(', ')}]; cdma trains classifiers whose output is [batch, classes]`,
    );
  }
  let layers = imp.layers;
  const last = layers.find((l) => l.name === out) as LayerSpec;
  const consumers = (n: string): number => layers.filter((l) => l.inputs.includes(n)).length;
  let logits = out;
  let outputActivation: ImportedModel['outputActivation'] = 'linear';
  if (
    last.kind === 'activation' &&
    (last.fn === 'softmax' || last.fn === 'sigmoid') &&
    consumers(out) === 0
  ) {
    outputActivation = last.fn;
    logits = last.inputs[0];
    layers = layers.filter((l) => l !== last);
  }
  // The Keras Dense layer behind the logits (the head --classes replaces).
  const logitsSpec = layers.find((l) => l.name === logits) as LayerSpec;
  const headKeras = [...imp.made].find(([, names]) => names.includes(logits))?.[0];
  const head =
    logitsSpec.kind === 'dense' && headKeras !== undefined
      ? { layer: headKeras, units: logitsSpec.units, replaced: false }
      : undefined;
  const values = imp.values;
  let links = imp.links;
  let numClasses = (imp.shapes.get(logits) as readonly number[])[0];
  let headOut = head;
  if (opts.classes !== undefined) {
    if (!(Number.isSafeInteger(opts.classes) && opts.classes >= 2)) {
      throw new InvalidArgumentError(
        `--classes must be an integer of at least 2, got ${opts.classes}`,
      );
    }
    if (head === undefined || logitsSpec.kind !== 'dense') {
      throw new InvalidArgumentError(
        `--classes: the model's logits come from '${logits}' (${logitsSpec.kind}), not a Dense layer, so there is no classifier head to replace`,
      );
    }
    const n = opts.classes;
    layers = layers.map((l) => (l.name === logits && l.kind === 'dense' ? { ...l, units: n } : l));
    for (const k of [`${logits}/weight`, `${logits}/bias`]) values.delete(k);
    links = links.filter((k) => k.layer !== head.layer);
    numClasses = n;
    headOut = { layer: head.layer, units: n, replaced: true };
    if (outputActivation === 'sigmoid') outputActivation = 'softmax';
  }
  // Frozen layers.
  const frozenK = new Set<string>();
  const order = layers.map(
    (l) => [...imp.made].find(([, names]) => names.includes(l.name))?.[0] ?? l.name,
  );
  if (opts.freezeTo === undefined) {
    for (const [k, t] of imp.trainable) if (!t) frozenK.add(k);
  } else if (opts.freezeTo !== 'none') {
    const at = order.lastIndexOf(opts.freezeTo);
    if (at < 0) {
      throw new InvalidArgumentError(
        `--freeze-to: the model has no layer '${opts.freezeTo}' (its layers run from '${order[1]}' to '${order[order.length - 1]}'; 'none' trains them all)`,
      );
    }
    for (let i = 0; i <= at; i++) frozenK.add(order[i]);
  }
  if (headOut?.replaced) frozenK.delete(headOut.layer);
  frozenK.delete(inLayer.name);
  layers = layers.map((l, i) =>
    frozenK.has(order[i]) && l.kind !== 'input' ? { ...l, frozen: true } : l,
  );
  let lossName = 'loss';
  for (let k = 1; layers.some((l) => l.name === lossName); k++) lossName = `loss_${k}`;
  const withLoss: LayerSpec[] = [
    ...layers,
    { kind: 'softmax_ce', name: lossName, inputs: [logits] },
  ];
  const input = layers[0];
  if (input.kind !== 'input') throw new Error('the first spec layer is not the input');
  const spec: ModelSpec = {
    name: opts.name ?? (model.name || 'model'),
    description: `TensorFlow.js Layers model ${model.name}`,
    numClasses,
    layers: withLoss,
  };
  return {
    spec,
    initialValues: values,
    links,
    outputLayer: outputActivation === 'softmax' ? lossName : logits,
    outputActivation,
    head: headOut,
    frozen: [...frozenK],
    outputs: new Map([[inLayer.name, first], ...imp.outputOf]),
    inputShape: input.shape,
  };
}
