/**
 * The study's results file (DIR/results.json): types, construction helpers
 * and validation. docs/STUDY.md documents every field; the performance model
 * (cdma simulate --study) reads models[].layers[].{layer, density, ratios}.
 *
 * Ratios are raw bytes / compressed payload bytes (codec output without the
 * container's framing). A ratio "over training" is the raw size divided by
 * the mean compressed size over the recorded steps (what an average offload
 * costs), i.e. the harmonic mean of the per-step ratios.
 */
import { InputFileError } from '../errors.js';
import { FILE_LIMITS } from '../io/limits.js';
import { readJsonBounded } from '../io/read.js';

export const RESULTS_FORMAT = 'cdma-study';
export const RESULTS_VERSION = 1;

export const ALGORITHMS = ['zvc', 'rle', 'zlib'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
export const LAYOUTS = ['nchw', 'nhwc', 'chwn'] as const;
export type Layout = (typeof LAYOUTS)[number];

/**
 * The range of a compression ratio (raw bytes / compressed bytes) in a
 * results file or a ratio table. No codec goes below 1/64: the worst case of
 * cdma's codecs is RLE with a 4-byte token header per 2-byte literal (1/3),
 * and a registered codec inflating data 64-fold is broken. 1e6 is above any
 * ratio a study measures (zlib's DEFLATE limit is 1032, RLE at the study's
 * field widths 510, ZVC 32) and keeps predicted transfer times meaningful.
 * A ratio of 0 stands for "not measured" where a field allows it.
 */
export const MIN_RATIO = 1 / 64;
export const MAX_RATIO = 1e6;

/** Whether `r` is a ratio inside [MIN_RATIO, MAX_RATIO]. */
export function isRatio(r: unknown): r is number {
  return typeof r === 'number' && r >= MIN_RATIO && r <= MAX_RATIO;
}

/** The ratio range in words, for messages. */
export const RATIO_RANGE_TEXT = `a ratio from 1/64 to ${MAX_RATIO.toExponential()}`;

export type ByLayout<T> = { [L in Layout]: T };
export type ByAlgorithm<T> = { [A in Algorithm]: T };
/** A number per algorithm per layout, e.g. ratios.zvc.nchw. */
export type RatioTable = ByAlgorithm<ByLayout<number>>;

/** How the study was run. */
export interface StudyConfig {
  /** 'training': activations recorded while training; 'inference': a pretrained model on images. */
  readonly mode: 'training' | 'inference';
  /** Dataset spec (training) or image folder (inference). */
  readonly dataset: string;
  /** Record every K steps (training); 1 for inference. */
  readonly every: number;
  readonly batch: number;
  readonly seed: number;
  /** Planned steps per model (training), or number of batches (inference). */
  readonly steps: number;
  /** SGD settings (training): base rate, its schedule and warm-up steps, momentum, weight decay. */
  readonly lr: number;
  readonly lrSchedule: string;
  readonly warmup: number;
  readonly momentum: number;
  readonly weightDecay: number;
  /** zlib: DEFLATE level, and the number of images of each recorded batch it compresses. */
  readonly zlib: { readonly level: number; readonly sampleImages: number };
  /** RLE field widths and other codec parameters as the codec reports them. */
  readonly rle: Readonly<Record<string, number>>;
  readonly backend: string;
}

/** Per record step, one value per entry of ModelResult.steps. */
export interface LayerSeries {
  readonly density: number[];
  readonly ratios: ByAlgorithm<ByLayout<number[]>>;
  readonly zeroRunMean: ByLayout<number[]>;
  readonly zeroBlockFraction: ByLayout<number[]>;
  readonly channelDensityStd: number[];
  readonly deadChannelFraction: number[];
}

/** One recorded tensor: a layer's output (saved for backward or a ReLU output) or a dropout mask. */
export interface LayerResult {
  /** Name of the layer that produced the tensor. */
  readonly layer: string;
  /** That layer's kind (relu, maxpool, ...). */
  readonly kind: string;
  /** 'output': the layer's output; 'mask': the keep mask a dropout layer saves. */
  readonly role: 'output' | 'mask';
  /** Shape per sample: [C, H, W] for feature maps, [C] for flat ones. */
  readonly shape: number[];
  /** Which layers save this tensor for their backward pass, as "layer:role" (role input/output/mask). */
  readonly savedFor: string[];
  /** Raw float32 bytes per sample. */
  readonly bytesPerSample: number;
  /** Mean density over the recorded steps. */
  readonly density: number;
  /** Ratio over training per algorithm per layout. */
  readonly ratios: RatioTable;
  readonly zeroRunMean: ByLayout<number>;
  readonly zeroBlockFraction: ByLayout<number>;
  readonly channelDensityStd: number;
  readonly deadChannelFraction: number;
  readonly series: LayerSeries;
}

/** An example activation map: a PNG under DIR (relative path), channels tiled in a grid. */
export interface ActivationMap {
  readonly layer: string;
  readonly step: number;
  /** Relative to the results file's folder, e.g. "maps/alexnet-small/relu1-s100.png". */
  readonly file: string;
  readonly channels: number;
  readonly density: number;
}

export interface ModelResult {
  /** The zoo model trained, e.g. "alexnet-small" (or the tfjs model's name). */
  readonly model: string;
  /** The name asked for on the command line, e.g. "alexnet". */
  readonly requested: string;
  /** 'running' while a study is in progress or was interrupted; resume continues it. */
  readonly status: 'running' | 'complete';
  readonly stepsPlanned: number;
  readonly stepsDone: number;
  /** The steps at which activations were recorded (0-based step index before which the forward ran). */
  readonly steps: number[];
  /** Training loss and batch accuracy at each recorded step (null when unknown). */
  readonly loss: (number | null)[];
  readonly accuracy: (number | null)[];
  /** Network-wide density over training: all recorded non-zeros / all recorded elements. */
  readonly density: number;
  /** Network-wide density per recorded step. */
  readonly densitySeries: number[];
  /** Network-wide ratio over training: all raw bytes / all compressed bytes. */
  readonly ratios: RatioTable;
  /** Network-wide ratio per recorded step. */
  readonly ratioSeries: ByAlgorithm<ByLayout<number[]>>;
  /**
   * Cost of the study. trainSeconds: the training steps' wall time, less the
   * recording done inside them. recordSeconds: what recording cost the
   * training thread (reading tensors back, waiting for the measuring thread,
   * writing results and checkpoints). fraction = recordSeconds / trainSeconds.
   * measureSeconds: CPU time the measuring itself took (on its own thread).
   */
  readonly overhead: {
    readonly recordSeconds: number;
    readonly trainSeconds: number;
    readonly fraction: number;
    readonly measureSeconds: number;
  };
  readonly layers: LayerResult[];
  readonly maps: ActivationMap[];
}

export interface StudyResults {
  readonly format: typeof RESULTS_FORMAT;
  readonly version: typeof RESULTS_VERSION;
  readonly generator: string;
  readonly config: StudyConfig;
  readonly models: ModelResult[];
}

// ---------------------------------------------------------------- validation

/** Largest dimension of a recorded tensor's per-sample shape. */
const MAX_DIM = 2 ** 31 - 1;
/** Largest batch a study runs (cdma study --batch). */
const MAX_BATCH = 65536;

type Json = unknown;

/** A name from the file as messages show it: quoted and escaped (one line), shortened. */
function quotedName(name: string): string {
  return JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}...` : name);
}

class Checker {
  constructor(private readonly where: string) {}

  fail(path: string, what: string): never {
    throw new InputFileError(
      `${this.where}: ${path || 'top level'}: ${what}; regenerate it with cdma study or fix the file`,
    );
  }
  obj(v: Json, path: string): Record<string, Json> {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      this.fail(path, 'expected an object');
    return v as Record<string, Json>;
  }
  arr(v: Json, path: string, length?: number): Json[] {
    if (!Array.isArray(v)) this.fail(path, 'expected an array');
    if (length !== undefined && v.length !== length) {
      this.fail(path, `expected ${length} entries, found ${v.length}`);
    }
    return v;
  }
  num(v: Json, path: string, min = -Infinity, max = Infinity): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(path, 'expected a finite number');
    if (v < min || v > max) this.fail(path, `expected a number in [${min}, ${max}], found ${v}`);
    return v;
  }
  int(v: Json, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const n = this.num(v, path, min, max);
    if (!Number.isInteger(n)) this.fail(path, `expected an integer, found ${n}`);
    return n;
  }
  /** A compression ratio in [MIN_RATIO, MAX_RATIO], or 0 (not measured) where `zero` allows it. */
  ratio(v: Json, path: string, zero: boolean): number {
    const r = this.num(v, path);
    if (r === 0 && zero) return 0;
    if (!isRatio(r))
      this.fail(
        path,
        `expected ${RATIO_RANGE_TEXT}${zero ? ' (or 0: not measured)' : ''}, found ${r}`,
      );
    return r;
  }
  str(v: Json, path: string): string {
    if (typeof v !== 'string') this.fail(path, 'expected a string');
    return v;
  }
  oneOf<T extends string>(v: Json, path: string, options: readonly T[]): T {
    const s = this.str(v, path);
    if (!(options as readonly string[]).includes(s))
      this.fail(path, `expected one of ${options.join(', ')}`);
    return s as T;
  }
  nums(v: Json, path: string, length: number, min = -Infinity, max = Infinity): number[] {
    return this.arr(v, path, length).map((x, i) => this.num(x, `${path}[${i}]`, min, max));
  }
  nullableNums(
    v: Json,
    path: string,
    length: number,
    min = -Infinity,
    max = Infinity,
  ): (number | null)[] {
    return this.arr(v, path, length).map((x, i) =>
      x === null ? null : this.num(x, `${path}[${i}]`, min, max),
    );
  }
  byLayout<T>(v: Json, path: string, each: (x: Json, p: string) => T): ByLayout<T> {
    const o = this.obj(v, path);
    return {
      nchw: each(o.nchw, `${path}.nchw`),
      nhwc: each(o.nhwc, `${path}.nhwc`),
      chwn: each(o.chwn, `${path}.chwn`),
    };
  }
  byAlgorithm<T>(v: Json, path: string, each: (x: Json, p: string) => T): ByAlgorithm<T> {
    const o = this.obj(v, path);
    return {
      zvc: each(o.zvc, `${path}.zvc`),
      rle: each(o.rle, `${path}.rle`),
      zlib: each(o.zlib, `${path}.zlib`),
    };
  }
  /** Ratios over training: 0 only when nothing was recorded (`zero`). */
  ratioTable(v: Json, path: string, zero: boolean): RatioTable {
    return this.byAlgorithm(v, path, (a, pa) =>
      this.byLayout(a, pa, (x, p) => this.ratio(x, p, zero)),
    );
  }
  ratioSeries(v: Json, path: string, n: number): ByAlgorithm<ByLayout<number[]>> {
    return this.byAlgorithm(v, path, (a, pa) =>
      this.byLayout(a, pa, (x, p) =>
        this.arr(x, p, n).map((r, i) => this.ratio(r, `${p}[${i}]`, false)),
      ),
    );
  }
}

/** A relative path inside the results folder: no absolute paths, no "..", no odd characters. */
export function isSafeRelativePath(p: string): boolean {
  return (
    p.length > 0 &&
    p.length < 512 &&
    /^[A-Za-z0-9._\-/]+$/.test(p) &&
    !p.startsWith('/') &&
    p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..')
  );
}

function checkLayer(c: Checker, v: Json, path: string, n: number): LayerResult {
  const o = c.obj(v, path);
  const shape = c
    .arr(o.shape, `${path}.shape`)
    .map((x, i) => c.int(x, `${path}.shape[${i}]`, 1, MAX_DIM));
  if (shape.length !== 1 && shape.length !== 3)
    c.fail(`${path}.shape`, 'expected [C] or [C, H, W]');
  const bytesPerSample = c.int(o.bytesPerSample, `${path}.bytesPerSample`, 1);
  const elements = shape.reduce((a, d) => a * d, 1);
  if (bytesPerSample !== 4 * elements)
    c.fail(
      `${path}.bytesPerSample`,
      `expected ${4 * elements} (4 bytes per value of shape [${shape.join(', ')}]), found ${bytesPerSample}`,
    );
  const s = c.obj(o.series, `${path}.series`);
  const frac = (x: Json, p: string): number => c.num(x, p, 0, 1);
  const fracs = (x: Json, p: string): number[] => c.nums(x, p, n, 0, 1);
  const pos = (x: Json, p: string): number => c.num(x, p, 0);
  return {
    layer: c.str(o.layer, `${path}.layer`),
    kind: c.str(o.kind, `${path}.kind`),
    role: c.oneOf(o.role, `${path}.role`, ['output', 'mask'] as const),
    shape,
    savedFor: c
      .arr(o.savedFor, `${path}.savedFor`)
      .map((x, i) => c.str(x, `${path}.savedFor[${i}]`)),
    bytesPerSample,
    density: frac(o.density, `${path}.density`),
    ratios: c.ratioTable(o.ratios, `${path}.ratios`, n === 0),
    zeroRunMean: c.byLayout(o.zeroRunMean, `${path}.zeroRunMean`, pos),
    zeroBlockFraction: c.byLayout(o.zeroBlockFraction, `${path}.zeroBlockFraction`, frac),
    channelDensityStd: frac(o.channelDensityStd, `${path}.channelDensityStd`),
    deadChannelFraction: frac(o.deadChannelFraction, `${path}.deadChannelFraction`),
    series: {
      density: fracs(s.density, `${path}.series.density`),
      ratios: c.ratioSeries(s.ratios, `${path}.series.ratios`, n),
      zeroRunMean: c.byLayout(s.zeroRunMean, `${path}.series.zeroRunMean`, (x, p) =>
        c.nums(x, p, n, 0),
      ),
      zeroBlockFraction: c.byLayout(s.zeroBlockFraction, `${path}.series.zeroBlockFraction`, fracs),
      channelDensityStd: fracs(s.channelDensityStd, `${path}.series.channelDensityStd`),
      deadChannelFraction: fracs(s.deadChannelFraction, `${path}.series.deadChannelFraction`),
    },
  };
}

function checkModel(c: Checker, v: Json, path: string): ModelResult {
  const o = c.obj(v, path);
  const steps = c.arr(o.steps, `${path}.steps`).map((x, i) => c.int(x, `${path}.steps[${i}]`));
  for (let i = 1; i < steps.length; i++) {
    if (steps[i] <= steps[i - 1]) c.fail(`${path}.steps`, 'expected strictly increasing steps');
  }
  const n = steps.length;
  const ov = c.obj(o.overhead, `${path}.overhead`);
  const stepsPlanned = c.int(o.stepsPlanned, `${path}.stepsPlanned`);
  const stepsDone = c.int(o.stepsDone, `${path}.stepsDone`);
  if (stepsDone > stepsPlanned) c.fail(`${path}.stepsDone`, 'is larger than stepsPlanned');
  const layers = c
    .arr(o.layers, `${path}.layers`)
    .map((x, i) => checkLayer(c, x, `${path}.layers[${i}]`, n));
  const names = new Set<string>();
  for (const l of layers) {
    const key = `${l.layer}:${l.role}`;
    if (names.has(key)) c.fail(`${path}.layers`, `duplicate entry ${quotedName(key)}`);
    names.add(key);
  }
  const maps = c.arr(o.maps, `${path}.maps`).map((x, i): ActivationMap => {
    const p = `${path}.maps[${i}]`;
    const m = c.obj(x, p);
    const file = c.str(m.file, `${p}.file`);
    if (!isSafeRelativePath(file))
      c.fail(`${p}.file`, 'expected a relative path inside the results folder');
    return {
      layer: c.str(m.layer, `${p}.layer`),
      step: c.int(m.step, `${p}.step`),
      file,
      channels: c.int(m.channels, `${p}.channels`, 1),
      density: c.num(m.density, `${p}.density`, 0, 1),
    };
  });
  return {
    model: c.str(o.model, `${path}.model`),
    requested: c.str(o.requested, `${path}.requested`),
    status: c.oneOf(o.status, `${path}.status`, ['running', 'complete'] as const),
    stepsPlanned,
    stepsDone,
    steps,
    loss: c.nullableNums(o.loss, `${path}.loss`, n),
    accuracy: c.nullableNums(o.accuracy, `${path}.accuracy`, n, 0, 1),
    density: c.num(o.density, `${path}.density`, 0, 1),
    densitySeries: c.nums(o.densitySeries, `${path}.densitySeries`, n, 0, 1),
    ratios: c.ratioTable(o.ratios, `${path}.ratios`, n === 0),
    ratioSeries: c.ratioSeries(o.ratioSeries, `${path}.ratioSeries`, n),
    overhead: {
      recordSeconds: c.num(ov.recordSeconds, `${path}.overhead.recordSeconds`, 0),
      trainSeconds: c.num(ov.trainSeconds, `${path}.overhead.trainSeconds`, 0),
      fraction: c.num(ov.fraction, `${path}.overhead.fraction`, 0),
      measureSeconds: c.num(ov.measureSeconds, `${path}.overhead.measureSeconds`, 0),
    },
    layers,
    maps,
  };
}

/** Checks a parsed results object field by field; `where` names it in errors. */
export function validateResults(v: unknown, where = 'results.json'): StudyResults {
  const c = new Checker(where);
  const o = c.obj(v, '');
  if (o.format !== RESULTS_FORMAT) c.fail('format', `expected "${RESULTS_FORMAT}"`);
  if (o.version !== RESULTS_VERSION)
    c.fail('version', `expected ${RESULTS_VERSION} (this cdma reads version ${RESULTS_VERSION})`);
  const cf = c.obj(o.config, 'config');
  const z = c.obj(cf.zlib, 'config.zlib');
  const rle = c.obj(cf.rle, 'config.rle');
  const config: StudyConfig = {
    mode: c.oneOf(cf.mode, 'config.mode', ['training', 'inference'] as const),
    dataset: c.str(cf.dataset, 'config.dataset'),
    every: c.int(cf.every, 'config.every', 1),
    batch: c.int(cf.batch, 'config.batch', 1, MAX_BATCH),
    seed: c.int(cf.seed, 'config.seed', 0, 2 ** 32 - 1),
    steps: c.int(cf.steps, 'config.steps'),
    lr: c.num(cf.lr, 'config.lr', 0),
    lrSchedule: c.str(cf.lrSchedule, 'config.lrSchedule'),
    warmup: c.int(cf.warmup, 'config.warmup'),
    momentum: c.num(cf.momentum, 'config.momentum', 0),
    weightDecay: c.num(cf.weightDecay, 'config.weightDecay', 0),
    zlib: {
      level: c.int(z.level, 'config.zlib.level', 0, 9),
      sampleImages: c.int(z.sampleImages, 'config.zlib.sampleImages', 1),
    },
    rle: Object.fromEntries(Object.entries(rle).map(([k, x]) => [k, c.num(x, `config.rle.${k}`)])),
    backend: c.str(cf.backend, 'config.backend'),
  };
  const models = c.arr(o.models, 'models').map((x, i) => checkModel(c, x, `models[${i}]`));
  const seen = new Set<string>();
  for (const m of models) {
    if (seen.has(m.model)) c.fail('models', `duplicate model ${quotedName(m.model)}`);
    seen.add(m.model);
  }
  return {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    generator: c.str(o.generator, 'generator'),
    config,
    models,
  };
}

/** Reads and validates a results file; any problem is an InputFileError naming the file. */
export function readResults(file: string): StudyResults {
  const json = readJsonBounded(file, {
    what: 'study results',
    maxBytes: FILE_LIMITS.studyResults,
  });
  return validateResults(json, file);
}
