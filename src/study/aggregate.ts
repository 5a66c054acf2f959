/**
 * Builds a model's results from its per-step measurements. The series are
 * the state: aggregates (over training, network-wide) are recomputed from
 * them, so a resumed study appends to the series it read back and gets the
 * same numbers as an uninterrupted one.
 */
import {
  ALGORITHMS,
  LAYOUTS,
  type ActivationMap,
  type ByAlgorithm,
  type ByLayout,
  type LayerResult,
  type LayerSeries,
  type ModelResult,
  type RatioTable,
} from './results.js';

/** What the recorder measured for one tensor at one step. */
export interface TensorMeasurement {
  readonly layer: string;
  readonly kind: string;
  readonly role: 'output' | 'mask';
  /** Per sample: [C, H, W] or [C]. */
  readonly shape: readonly number[];
  readonly savedFor: readonly string[];
  readonly density: number;
  readonly ratios: RatioTable;
  readonly zeroRunMean: ByLayout<number>;
  readonly zeroBlockFraction: ByLayout<number>;
  readonly channelDensityStd: number;
  readonly deadChannelFraction: number;
}

export interface StepRecord {
  readonly step: number;
  readonly loss: number | null;
  readonly accuracy: number | null;
  readonly tensors: readonly TensorMeasurement[];
}

const byLayout = <T>(f: (l: (typeof LAYOUTS)[number]) => T): ByLayout<T> => ({
  nchw: f('nchw'),
  nhwc: f('nhwc'),
  chwn: f('chwn'),
});
const byAlgorithm = <T>(f: (a: (typeof ALGORITHMS)[number]) => T): ByAlgorithm<T> => ({
  zvc: f('zvc'),
  rle: f('rle'),
  zlib: f('zlib'),
});
const table = <T>(
  f: (a: (typeof ALGORITHMS)[number], l: (typeof LAYOUTS)[number]) => T,
): ByAlgorithm<ByLayout<T>> => byAlgorithm((a) => byLayout((l) => f(a, l)));

const mean = (xs: readonly number[]): number =>
  xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length;

/** Raw bytes / mean compressed bytes, from per-step ratios (the harmonic mean). */
export function ratioOverSteps(ratios: readonly number[]): number {
  if (ratios.length === 0) return 0;
  let inv = 0;
  for (const r of ratios) inv += 1 / r;
  return ratios.length / inv;
}

function emptySeries(): LayerSeries {
  return {
    density: [],
    ratios: table(() => []),
    zeroRunMean: byLayout(() => []),
    zeroBlockFraction: byLayout(() => []),
    channelDensityStd: [],
    deadChannelFraction: [],
  };
}

function elementsOf(shape: readonly number[]): number {
  return shape.reduce((p, x) => p * x, 1);
}

/** Aggregates of one layer from its series. */
export function summarizeLayer(
  base: Omit<
    LayerResult,
    | 'density'
    | 'ratios'
    | 'zeroRunMean'
    | 'zeroBlockFraction'
    | 'channelDensityStd'
    | 'deadChannelFraction'
  >,
): LayerResult {
  const s = base.series;
  return {
    ...base,
    density: mean(s.density),
    ratios: table((a, l) => ratioOverSteps(s.ratios[a][l])),
    zeroRunMean: byLayout((l) => mean(s.zeroRunMean[l])),
    zeroBlockFraction: byLayout((l) => mean(s.zeroBlockFraction[l])),
    channelDensityStd: mean(s.channelDensityStd),
    deadChannelFraction: mean(s.deadChannelFraction),
  };
}

/** Network-wide density and ratio at step index i (element-weighted over the layers). */
function networkAtStep(
  layers: readonly LayerResult[],
  i: number,
): { density: number; ratios: RatioTable } {
  let raw = 0;
  let nz = 0;
  for (const l of layers) {
    raw += l.bytesPerSample;
    nz += l.series.density[i] * l.bytesPerSample;
  }
  const ratios = table((a, lay) => {
    let compressed = 0;
    for (const l of layers) compressed += l.bytesPerSample / l.series.ratios[a][lay][i];
    return compressed === 0 ? 0 : raw / compressed;
  });
  return { density: raw === 0 ? 0 : nz / raw, ratios };
}

/** Recomputes every aggregate of a model from its layers' series. */
export function summarizeModel(
  m: Omit<ModelResult, 'density' | 'densitySeries' | 'ratios' | 'ratioSeries'>,
): ModelResult {
  const layers = m.layers.map((l) => summarizeLayer(l));
  const n = m.steps.length;
  const perStep = Array.from({ length: n }, (_, i) => networkAtStep(layers, i));
  const ratioSeries = table((a, l) => perStep.map((p) => p.ratios[a][l]));
  return {
    ...m,
    layers,
    density: mean(perStep.map((p) => p.density)),
    densitySeries: perStep.map((p) => p.density),
    ratios: table((a, l) => ratioOverSteps(ratioSeries[a][l])),
    ratioSeries,
  };
}

/** Accumulates a model's steps; starts empty or from a (validated) earlier result. */
export class ModelAccumulator {
  private readonly steps: number[] = [];
  private readonly loss: (number | null)[] = [];
  private readonly accuracy: (number | null)[] = [];
  private readonly layers: { base: Omit<LayerResult, 'series'>; series: LayerSeries }[] = [];
  private readonly maps: ActivationMap[] = [];
  private recordSeconds = 0;
  private trainSeconds = 0;
  private measureSeconds = 0;

  constructor(
    readonly model: string,
    readonly requested: string,
    readonly stepsPlanned: number,
    previous?: ModelResult,
  ) {
    if (previous) {
      this.steps.push(...previous.steps);
      this.loss.push(...previous.loss);
      this.accuracy.push(...previous.accuracy);
      for (const l of previous.layers) {
        const { series, ...base } = l;
        this.layers.push({ base, series: structuredClone(series) });
      }
      this.maps.push(...previous.maps);
      this.recordSeconds = previous.overhead.recordSeconds;
      this.trainSeconds = previous.overhead.trainSeconds;
      this.measureSeconds = previous.overhead.measureSeconds;
    }
  }

  get lastStep(): number | undefined {
    return this.steps.length === 0 ? undefined : this.steps[this.steps.length - 1];
  }

  addTime(trainSeconds: number, recordSeconds: number, measureSeconds = 0): void {
    this.trainSeconds += trainSeconds;
    this.recordSeconds += recordSeconds;
    this.measureSeconds += measureSeconds;
  }

  addMap(map: ActivationMap): void {
    this.maps.push(map);
  }

  /** Appends one recorded step; the set of tensors must be the same at every step. */
  addStep(rec: StepRecord): void {
    const last = this.lastStep;
    if (last !== undefined && rec.step <= last) {
      throw new RangeError(`step ${rec.step} recorded after step ${last}`);
    }
    if (this.steps.length === 0 && this.layers.length === 0) {
      for (const t of rec.tensors) {
        this.layers.push({
          base: {
            layer: t.layer,
            kind: t.kind,
            role: t.role,
            shape: [...t.shape],
            savedFor: [...t.savedFor],
            bytesPerSample: 4 * elementsOf(t.shape),
            density: 0,
            ratios: table(() => 0),
            zeroRunMean: byLayout(() => 0),
            zeroBlockFraction: byLayout(() => 0),
            channelDensityStd: 0,
            deadChannelFraction: 0,
          },
          series: emptySeries(),
        });
      }
    }
    if (rec.tensors.length !== this.layers.length) {
      throw new RangeError(
        `step ${rec.step} has ${rec.tensors.length} tensors, earlier steps ${this.layers.length}`,
      );
    }
    rec.tensors.forEach((t, i) => {
      const { base, series } = this.layers[i];
      if (t.layer !== base.layer || t.role !== base.role) {
        throw new RangeError(
          `step ${rec.step}: tensor ${i} is ${t.layer}:${t.role}, expected ${base.layer}:${base.role}`,
        );
      }
      series.density.push(t.density);
      for (const a of ALGORITHMS) for (const l of LAYOUTS) series.ratios[a][l].push(t.ratios[a][l]);
      for (const l of LAYOUTS) {
        series.zeroRunMean[l].push(t.zeroRunMean[l]);
        series.zeroBlockFraction[l].push(t.zeroBlockFraction[l]);
      }
      series.channelDensityStd.push(t.channelDensityStd);
      series.deadChannelFraction.push(t.deadChannelFraction);
    });
    this.steps.push(rec.step);
    this.loss.push(rec.loss);
    this.accuracy.push(rec.accuracy);
  }

  result(stepsDone: number, status: 'running' | 'complete'): ModelResult {
    return summarizeModel({
      model: this.model,
      requested: this.requested,
      status,
      stepsPlanned: this.stepsPlanned,
      stepsDone,
      steps: [...this.steps],
      loss: [...this.loss],
      accuracy: [...this.accuracy],
      overhead: {
        recordSeconds: this.recordSeconds,
        trainSeconds: this.trainSeconds,
        fraction: this.trainSeconds === 0 ? 0 : this.recordSeconds / this.trainSeconds,
        measureSeconds: this.measureSeconds,
      },
      layers: this.layers.map(({ base, series }) => ({ ...base, series: structuredClone(series) })),
      maps: [...this.maps],
    });
  }
}
