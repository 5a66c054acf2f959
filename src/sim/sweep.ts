/**
 * A grid of simulations: models x GPUs x links x codecs x dtypes x densities
 * (or one measured-ratio source instead of densities). Rows are plain data
 * for the markdown/CSV tables and the HTML page (sweep-report.ts).
 */
import { CdmaError } from '../errors.js';
import type { ModelAnalysis } from '../nn/shapes.js';
import type { EngineOptions } from './engine.js';
import type { GpuSpec } from './gpus.js';
import type { LinkSpec } from './links.js';
import type { Profile } from './profile.js';
import type { SimLayout } from './ratio-files.js';
import type { RatioSource } from './ratio-source.js';
import type { BuiltinCodecId, DType } from '../codec/codec.js';
import type { Policy } from './schedule.js';
import { simulate } from './simulate.js';
import type { AlgoChoice, ConvLibrary } from './conv-algos.js';

export interface SweepSpec {
  readonly models: readonly ModelAnalysis[];
  readonly batch: number;
  readonly gpus: readonly GpuSpec[];
  readonly links: readonly LinkSpec[];
  readonly codecs: readonly BuiltinCodecId[];
  readonly dtypes: readonly DType[];
  readonly policy: Policy;
  /** Convolution algorithms of the vDNN and cDMA runs (default performance-optimal). */
  readonly algo?: AlgoChoice;
  /** Default cuDNN 4. */
  readonly library?: ConvLibrary;
  /** Post-ReLU densities; ignored when `measured` is given. */
  readonly densities: readonly number[];
  /** A study or table source used instead of densities. */
  readonly measured?: {
    readonly label: string;
    readonly source: (model: ModelAnalysis) => RatioSource;
  };
  readonly layout?: SimLayout;
  readonly profile?: Profile;
  readonly engine?: EngineOptions;
}

export interface SweepRow {
  readonly model: string;
  readonly batch: number;
  readonly gpu: string;
  readonly link: string;
  readonly codec: BuiltinCodecId;
  readonly dtype: DType;
  /** Post-ReLU density, or the measured source's label. */
  readonly density: number | string;
  readonly oracleMs: number;
  readonly vdnnMs: number;
  readonly cdmaMs: number;
  readonly vdnnPerf: number;
  readonly cdmaPerf: number;
  readonly improvement: number;
  readonly averageRatio: number;
  readonly binding: string;
  readonly oracleFits: boolean;
  readonly vdnnFits: boolean;
  readonly vdnnPeakGiB: number;
}

export interface SweepResult {
  readonly rows: readonly SweepRow[];
  /** Points that could not be simulated, with the reason. */
  readonly skipped: readonly string[];
}

export function runSweep(s: SweepSpec): SweepResult {
  const rows: SweepRow[] = [];
  const skipped: string[] = [];
  for (const model of s.models) {
    const sources: [number | string, RatioSource][] = s.measured
      ? [[s.measured.label, s.measured.source(model)]]
      : s.densities.map((d) => [d, { kind: 'density', density: d }]);
    for (const gpu of s.gpus)
      for (const link of s.links)
        for (const dtype of s.dtypes)
          for (const codec of s.codecs)
            for (const [density, ratios] of sources) {
              try {
                const r = simulate({
                  model,
                  batch: s.batch,
                  gpu,
                  link,
                  policy: s.policy,
                  codec,
                  dtype,
                  layout: s.layout,
                  ratios,
                  profile: s.profile,
                  engine: s.engine,
                  algo: s.algo,
                  library: s.library,
                });
                rows.push({
                  model: r.model,
                  batch: r.batch,
                  gpu: gpu.id,
                  link: link.id,
                  codec,
                  dtype,
                  density,
                  oracleMs: r.oracle.schedule.iterationTime * 1e3,
                  vdnnMs: r.vdnn.schedule.iterationTime * 1e3,
                  cdmaMs: r.cdma.schedule.iterationTime * 1e3,
                  vdnnPerf: r.vdnn.normalized,
                  cdmaPerf: r.cdma.normalized,
                  improvement: r.improvement,
                  averageRatio: r.averageRatio,
                  binding: r.cdma.binding ?? '-',
                  oracleFits: r.oracle.fits,
                  vdnnFits: r.vdnn.fits,
                  vdnnPeakGiB: r.vdnn.memory.peakBytes / 1024 ** 3,
                });
              } catch (e) {
                if (!(e instanceof CdmaError)) throw e;
                const what = `${model.spec.name} ${gpu.id} ${link.id} ${dtype} ${codec} ${density}`;
                const reason = e.message;
                if (
                  !skipped.some((x) => x.endsWith(reason) && x.startsWith(`${model.spec.name} `))
                ) {
                  skipped.push(`${what}: ${reason}`);
                }
              }
            }
  }
  return { rows, skipped };
}

const HEADER = [
  'model',
  'batch',
  'gpu',
  'link',
  'dtype',
  'codec',
  'density',
  'oracle ms',
  'vDNN ms',
  'cDMA ms',
  'vDNN perf',
  'cDMA perf',
  'cDMA vs vDNN',
  'avg ratio',
  'cDMA limit',
  'oracle fits',
  'vDNN fits',
  'vDNN peak GiB',
] as const;

function cells(r: SweepRow): string[] {
  return [
    r.model,
    String(r.batch),
    r.gpu,
    r.link,
    r.dtype,
    r.codec,
    String(r.density),
    r.oracleMs.toFixed(2),
    r.vdnnMs.toFixed(2),
    r.cdmaMs.toFixed(2),
    r.vdnnPerf.toFixed(3),
    r.cdmaPerf.toFixed(3),
    `${(r.improvement * 100).toFixed(1)}%`,
    r.averageRatio.toFixed(2),
    r.binding,
    r.oracleFits ? 'yes' : 'no',
    r.vdnnFits ? 'yes' : 'no',
    r.vdnnPeakGiB.toFixed(2),
  ];
}

export function sweepHeader(): readonly string[] {
  return HEADER;
}
export function sweepCells(r: SweepRow): string[] {
  return cells(r);
}

export function sweepMarkdown(rows: readonly SweepRow[]): string {
  const line = (c: readonly string[]) => `| ${c.join(' | ')} |`;
  return (
    [line(HEADER), line(HEADER.map(() => '---')), ...rows.map((r) => line(cells(r)))].join('\n') +
    '\n'
  );
}

export function sweepCsv(rows: readonly SweepRow[]): string {
  const q = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const raw = (r: SweepRow): string[] => [
    r.model,
    String(r.batch),
    r.gpu,
    r.link,
    r.dtype,
    r.codec,
    String(r.density),
    String(r.oracleMs),
    String(r.vdnnMs),
    String(r.cdmaMs),
    String(r.vdnnPerf),
    String(r.cdmaPerf),
    String(r.improvement),
    String(r.averageRatio),
    r.binding,
    String(r.oracleFits),
    String(r.vdnnFits),
    String(r.vdnnPeakGiB),
  ];
  return [HEADER.map(q).join(','), ...rows.map((r) => raw(r).map(q).join(','))].join('\n') + '\n';
}
