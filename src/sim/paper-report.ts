/**
 * `cdma simulate --paper DIR`: the vDNN and cDMA papers' evaluation figures
 * redrawn from the performance model, with the papers' values overlaid, as
 * one offline HTML page (charts rendered to inline SVG in Node, no scripts)
 * and every chart as a standalone SVG file. Charts keep one colour per
 * series everywhere (model, paper, each GPU) and order GPUs by generation and
 * links by bandwidth.
 */
import type { TopLevelSpec } from 'vega-lite';
import {
  escapeHtml,
  htmlPage,
  htmlTable,
  renderChart,
  type PageSection,
} from '../report/charts.js';
import { getConvLibrary } from './conv-algos.js';
import type { LinkSpec } from './links.js';
import {
  CDMA_NETWORKS,
  CDMA_TEXT,
  cdmaValues,
  PAPER_SETUP,
  paperRun,
  VDNN_NETWORKS,
  VDNN_TEXT,
  vdnnModelValues,
  vdnnTextValues,
  type CdmaValues,
  type VdnnFigureValues,
  type VdnnTextValues,
} from './paper.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** One colour per series, the same in every chart. */
export const SERIES_COLOURS = { model: '#4c78a8', paper: '#e45756' } as const;
/** GPUs by generation, each with its colour in every chart. */
export const GPU_ORDER: readonly { id: string; label: string; colour: string }[] = [
  { id: 'titanx', label: 'Titan X (Maxwell)', colour: '#54a24b' },
  { id: 'titanxp', label: 'Titan Xp (Pascal)', colour: '#f58518' },
  { id: 'v100', label: 'V100 (Volta)', colour: '#b279a2' },
  { id: 'a100', label: 'A100 (Ampere)', colour: '#9d755d' },
  { id: 'h100-pcie', label: 'H100 PCIe (Hopper)', colour: '#72b7b2' },
  { id: 'h100-sxm', label: 'H100 SXM (Hopper)', colour: '#eeca3b' },
];
/** Effective link bandwidths of the sensitivity chart (GB/s): PCIe gen3, gen4, gen5, then NVLink class. */
export const LINK_SWEEP_GBS: readonly number[] = [12.8, 25.6, 51.2, 100, 200, 400, 800];

const seriesScale = {
  domain: ['model', 'paper'],
  range: [SERIES_COLOURS.model, SERIES_COLOURS.paper],
};
const gpuScale = {
  domain: GPU_ORDER.map((g) => g.label),
  range: GPU_ORDER.map((g) => g.colour),
};

/** Configurations in the paper's order within each network (Figures 11 and 14). */
const MEMORY_CONFIGS = [
  'baseline (m)',
  'baseline (p)',
  'vDNN_all (m)',
  'vDNN_all (p)',
  'vDNN_conv (m)',
  'vDNN_conv (p)',
  'vDNN_dyn',
] as const;
const PERF_CONFIGS = [
  'vDNN_all (m)',
  'vDNN_all (p)',
  'vDNN_conv (m)',
  'vDNN_conv (p)',
  'vDNN_dyn',
] as const;

interface Point {
  readonly network: string;
  readonly config: string;
  readonly source: 'model' | 'paper';
  readonly value: number;
}

function memoryPoints(label: string, v: VdnnFigureValues, source: Point['source']): Point[] {
  const values: Record<(typeof MEMORY_CONFIGS)[number], number> = {
    'baseline (m)': v.baselineMB.m,
    'baseline (p)': v.baselineMB.p,
    'vDNN_all (m)': v.allMB.m,
    'vDNN_all (p)': v.allMB.p,
    'vDNN_conv (m)': v.convMB.m,
    'vDNN_conv (p)': v.convMB.p,
    vDNN_dyn: v.dynMB,
  };
  return MEMORY_CONFIGS.map((config) => ({
    network: label,
    config,
    source,
    value: values[config],
  }));
}

function perfPoints(label: string, v: VdnnFigureValues, source: Point['source']): Point[] {
  const values: Record<(typeof PERF_CONFIGS)[number], number> = {
    'vDNN_all (m)': v.perfAll.m,
    'vDNN_all (p)': v.perfAll.p,
    'vDNN_conv (m)': v.perfConv.m,
    'vDNN_conv (p)': v.perfConv.p,
    vDNN_dyn: v.perfDyn,
  };
  return PERF_CONFIGS.map((config) => ({ network: label, config, source, value: values[config] }));
}

function offloadPoints(label: string, v: VdnnFigureValues, source: Point['source']): Point[] {
  return [
    { network: label, config: 'vDNN_all', source, value: v.offloadedMB.all },
    { network: label, config: 'vDNN_conv', source, value: v.offloadedMB.conv },
  ];
}

/**
 * Model bars with the paper's values as red ticks over them, one panel per
 * network in the paper's order, configurations in the paper's order.
 */
function barsWithPaper(
  title: string,
  points: readonly Point[],
  configs: readonly string[],
  yTitle: string,
  networks: readonly string[],
): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title,
    data: { values: points },
    facet: { field: 'network', type: 'nominal', sort: [...networks], title: null },
    columns: networks.length,
    spec: {
      width: 220,
      height: 180,
      layer: [
        {
          transform: [{ filter: "datum.source === 'model'" }],
          mark: 'bar',
          encoding: {
            x: {
              field: 'config',
              type: 'nominal',
              sort: [...configs],
              title: 'configuration',
              axis: { labelAngle: -40 },
            },
            y: { field: 'value', type: 'quantitative', title: yTitle },
            color: {
              field: 'source',
              type: 'nominal',
              scale: seriesScale,
              title: 'values from',
            },
          },
        },
        {
          transform: [{ filter: "datum.source === 'paper'" }],
          mark: { type: 'tick', thickness: 3, size: 18 },
          encoding: {
            x: { field: 'config', type: 'nominal', sort: [...configs] },
            y: { field: 'value', type: 'quantitative' },
            color: { field: 'source', type: 'nominal', scale: seriesScale },
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

function gpuLabel(id: string): string {
  return GPU_ORDER.find((g) => g.id === id)?.label ?? id;
}

/** cDMA's gain per network, Titan X then Titan Xp; the papers' average and maximum as red rules. */
function cdmaChart(values: readonly CdmaValues[]): TopLevelSpec {
  const bars = values.flatMap((v) =>
    v.perNetwork.map((n) => ({
      kind: 'model',
      gpu: gpuLabel(v.gpu),
      network: n.label,
      gain: n.gain * 100,
    })),
  );
  const paper = [
    ['titanx', 'paper average', CDMA_TEXT.titanx.gainAverage],
    ['titanx', 'paper maximum', CDMA_TEXT.titanx.gainMax],
    ['titanxp', 'paper average', CDMA_TEXT.titanxp.gainAverage],
    ['titanxp', 'paper maximum', CDMA_TEXT.titanxp.gainMax],
  ].map(([gpu, what, gain]) => ({
    kind: 'paper',
    gpu: gpuLabel(gpu as string),
    what,
    gain: (gain as number) * 100,
  }));
  return {
    $schema: SCHEMA,
    title: `cDMA over vDNN_all(p) at ${CDMA_TEXT.averageRatio}x, PCIe gen3, batch 128`,
    data: { values: [...bars, ...paper] },
    facet: { field: 'gpu', type: 'nominal', sort: values.map((v) => gpuLabel(v.gpu)), title: null },
    spec: {
      width: 300,
      height: 200,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'model'" }],
          mark: 'bar',
          encoding: {
            x: {
              field: 'network',
              type: 'nominal',
              sort: CDMA_NETWORKS.map((n) => n.label),
              title: 'network',
              axis: { labelAngle: -40 },
            },
            y: { field: 'gain', type: 'quantitative', title: 'cDMA over vDNN (%)' },
            color: { field: 'gpu', type: 'nominal', scale: gpuScale, title: 'GPU (model)' },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'paper'" }],
          mark: { type: 'rule', strokeWidth: 2, color: SERIES_COLOURS.paper },
          encoding: {
            y: { field: 'gain', type: 'quantitative' },
            strokeDash: {
              field: 'what',
              type: 'nominal',
              title: 'paper (red)',
              scale: {
                domain: ['paper average', 'paper maximum'],
                range: [
                  [1, 0],
                  [6, 3],
                ],
              },
            },
          },
        },
      ],
    },
  } as unknown as TopLevelSpec;
}

interface LinkPoint {
  readonly gpu: string;
  readonly gbs: number;
  readonly gain: number;
}

/** The average gain over the six networks against the link's bandwidth, one line per GPU. */
function linkChart(points: readonly LinkPoint[]): TopLevelSpec {
  const paper = [
    { gpu: gpuLabel('titanx'), gbs: 12.8, gain: CDMA_TEXT.titanx.gainAverage * 100 },
    { gpu: gpuLabel('titanxp'), gbs: 12.8, gain: CDMA_TEXT.titanxp.gainAverage * 100 },
  ];
  return {
    $schema: SCHEMA,
    title: `cDMA over vDNN_all(p) against link bandwidth, ${CDMA_TEXT.averageRatio}x, average of six networks (paper: red points)`,
    width: 520,
    height: 280,
    layer: [
      {
        data: { values: points },
        mark: { type: 'line', point: true },
        encoding: {
          x: {
            field: 'gbs',
            type: 'quantitative',
            scale: { type: 'log' },
            title: 'link bandwidth, effective (GB/s, log scale)',
          },
          y: { field: 'gain', type: 'quantitative', title: 'cDMA over vDNN (%)' },
          color: {
            field: 'gpu',
            type: 'nominal',
            scale: gpuScale,
            sort: gpuScale.domain,
            title: 'GPU',
          },
        },
      },
      {
        data: { values: paper },
        mark: {
          type: 'point',
          filled: true,
          size: 140,
          shape: 'diamond',
          color: SERIES_COLOURS.paper,
        },
        encoding: {
          x: { field: 'gbs', type: 'quantitative' },
          y: { field: 'gain', type: 'quantitative' },
          tooltip: { field: 'gpu', type: 'nominal' },
        },
      },
    ],
  } as unknown as TopLevelSpec;
}

/** The memory the very deep VGGs need at batch 32 and the memory vDNN_dyn trains them in. */
function veryDeepChart(t: VdnnTextValues): TopLevelSpec {
  const deep = VDNN_TEXT.veryDeep;
  const points: Point[] = [];
  t.veryDeep.forEach((d, i) => {
    const label = d.model.replace('vgg', 'VGG-');
    points.push({ network: label, config: 'needs', source: 'model', value: d.needsGB });
    points.push({ network: label, config: 'needs', source: 'paper', value: deep.needsGB[i] });
    points.push({ network: label, config: 'vDNN_dyn', source: 'model', value: d.trainsInGB });
  });
  points.push({
    network: 'VGG-116',
    config: 'vDNN_dyn',
    source: 'paper',
    value: deep.trainsInGB.min,
  });
  points.push({
    network: 'VGG-416',
    config: 'vDNN_dyn',
    source: 'paper',
    value: deep.trainsInGB.max,
  });
  return barsWithPaper(
    `Very deep VGGs at batch ${deep.batch}: memory needed without vDNN and with vDNN_dyn`,
    points,
    ['needs', 'vDNN_dyn'],
    'memory (GiB)',
    deep.models.map((m) => m.replace('vgg', 'VGG-')),
  );
}

export interface PaperChart {
  /** File name of the standalone SVG. */
  readonly file: string;
  readonly title: string;
  readonly caption: string;
  readonly svg: string;
}

export interface PaperPage {
  readonly html: string;
  readonly charts: readonly PaperChart[];
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const pts = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} pts`;
const rel = (model: number, paper: number) =>
  `${model >= paper ? '+' : ''}${((model / paper - 1) * 100).toFixed(1)}%`;

/** Every number of the page's tables, computed once. */
interface Computed {
  readonly vdnn: readonly { label: string; paper: VdnnFigureValues; model: VdnnFigureValues }[];
  readonly text: VdnnTextValues;
  readonly cdma: readonly CdmaValues[];
  readonly links: readonly LinkPoint[];
}

function linkSweep(): LinkPoint[] {
  const library = getConvLibrary(PAPER_SETUP.library);
  const out: LinkPoint[] = [];
  for (const g of GPU_ORDER) {
    for (const gbs of LINK_SWEEP_GBS) {
      const link: LinkSpec = {
        id: `sweep-${gbs}`,
        name: `${gbs} GB/s`,
        peakGBs: gbs,
        effectiveGBs: gbs,
        latencySeconds: 0,
        source: 'an effective bandwidth to sweep',
      };
      const gains = CDMA_NETWORKS.map(
        (n) =>
          paperRun(n.model, 128, 'all', 'performance', { gpu: g.id, library, linkSpec: link })
            .improvement,
      );
      out.push({
        gpu: g.label,
        gbs,
        gain: (gains.reduce((a, b) => a + b, 0) / gains.length) * 100,
      });
    }
  }
  return out;
}

function compute(): Computed {
  return {
    vdnn: VDNN_NETWORKS.map((n) => ({ label: n.label, paper: n.paper, model: vdnnModelValues(n) })),
    text: vdnnTextValues(),
    cdma: ['titanx', 'titanxp'].map((g) => cdmaValues(g)),
    links: linkSweep(),
  };
}

function vdnnTable(c: Computed): string {
  const rows: string[][] = [];
  for (const n of c.vdnn) {
    const mem = memoryPoints(n.label, n.model, 'model');
    const memP = memoryPoints(n.label, n.paper, 'paper');
    mem.forEach((m, i) =>
      rows.push([
        n.label,
        `${m.config}, MiB`,
        memP[i].value.toFixed(0),
        m.value.toFixed(0),
        rel(m.value, memP[i].value),
      ]),
    );
    const off = offloadPoints(n.label, n.model, 'model');
    const offP = offloadPoints(n.label, n.paper, 'paper');
    off.forEach((o, i) =>
      rows.push([
        n.label,
        `offloaded by ${o.config}, MiB`,
        offP[i].value.toFixed(0),
        o.value.toFixed(0),
        rel(o.value, offP[i].value),
      ]),
    );
    const perf = perfPoints(n.label, n.model, 'model');
    const perfP = perfPoints(n.label, n.paper, 'paper');
    perf.forEach((p, i) =>
      rows.push([
        n.label,
        `${p.config}, performance`,
        perfP[i].value.toFixed(3),
        p.value.toFixed(3),
        pts(p.value - perfP[i].value),
      ]),
    );
  }
  return htmlTable(['network', 'quantity', 'paper', 'model', 'model - paper'], rows);
}

function textTable(c: Computed): string {
  const t = c.text;
  const T = VDNN_TEXT;
  const rows: string[][] = [
    [
      'vDNN_all(m) loss, average',
      pct(T.allMemoryLoss.average),
      pct(t.allMemoryLoss.average),
      pts(t.allMemoryLoss.average - T.allMemoryLoss.average),
    ],
    [
      'vDNN_all(m) loss, worst',
      pct(T.allMemoryLoss.worst),
      pct(t.allMemoryLoss.worst),
      pts(t.allMemoryLoss.worst - T.allMemoryLoss.worst),
    ],
    [
      'vDNN_conv(m) loss, average',
      pct(T.convMemoryLoss.average),
      pct(t.convMemoryLoss.average),
      pts(t.convMemoryLoss.average - T.convMemoryLoss.average),
    ],
    [
      'vDNN_conv(m) loss, worst',
      pct(T.convMemoryLoss.worst),
      pct(t.convMemoryLoss.worst),
      pts(t.convMemoryLoss.worst - T.convMemoryLoss.worst),
    ],
    [
      'vDNN_dyn performance, average',
      pct(T.dynPerformance.average),
      pct(t.dynPerformance.average),
      pts(t.dynPerformance.average - T.dynPerformance.average),
    ],
    [
      'vDNN_dyn performance, worst',
      pct(T.dynPerformance.worst),
      pct(t.dynPerformance.worst),
      pts(t.dynPerformance.worst - T.dynPerformance.worst),
    ],
    [
      'VGG-16 (256): memory needed, GB',
      String(T.vgg16b256.needsGB),
      t.vgg16b256.needsGB.toFixed(1),
      rel(t.vgg16b256.needsGB, T.vgg16b256.needsGB),
    ],
    [
      'VGG-16 (256): vDNN_dyn loss',
      pct(T.vgg16b256.dynLoss),
      `${pct(t.vgg16b256.dynLoss)} (${t.vgg16b256.dynChoice ?? 'none fits'})`,
      pts(t.vgg16b256.dynLoss - T.vgg16b256.dynLoss),
    ],
    ...t.veryDeep.map((d, i) => [
      `${d.model.replace('vgg', 'VGG-')} (${T.veryDeep.batch}): memory needed, GB`,
      String(T.veryDeep.needsGB[i]),
      d.needsGB.toFixed(1),
      rel(d.needsGB, T.veryDeep.needsGB[i]),
    ]),
    ...t.veryDeep.map((d) => [
      `${d.model.replace('vgg', 'VGG-')} (${T.veryDeep.batch}): vDNN_dyn trains it in, GB`,
      `${T.veryDeep.trainsInGB.min}-${T.veryDeep.trainsInGB.max}`,
      `${d.trainsInGB.toFixed(2)} (${d.dynChoice ?? 'none fits'}, ${pct(d.dynPerformance)})`,
      '',
    ]),
  ];
  return htmlTable(['number', 'paper', 'model', 'model - paper'], rows);
}

function cdmaTable(c: Computed): string {
  const rows: string[][] = [];
  const [x, xp] = c.cdma;
  rows.push([
    'Titan X: gain, average',
    pct(CDMA_TEXT.titanx.gainAverage),
    pct(x.gainAverage),
    pts(x.gainAverage - CDMA_TEXT.titanx.gainAverage),
  ]);
  rows.push([
    'Titan X: gain, maximum',
    pct(CDMA_TEXT.titanx.gainMax),
    pct(x.gainMax),
    pts(x.gainMax - CDMA_TEXT.titanx.gainMax),
  ]);
  rows.push([
    'Titan X: vDNN loss, average',
    pct(CDMA_TEXT.titanx.vdnnLossAverage),
    pct(x.vdnnLossAverage),
    pts(x.vdnnLossAverage - CDMA_TEXT.titanx.vdnnLossAverage),
  ]);
  rows.push([
    'Titan X: vDNN loss, worst',
    pct(CDMA_TEXT.titanx.vdnnLossWorst),
    pct(x.vdnnLossWorst),
    pts(x.vdnnLossWorst - CDMA_TEXT.titanx.vdnnLossWorst),
  ]);
  rows.push([
    'Titan Xp: gain, average',
    pct(CDMA_TEXT.titanxp.gainAverage),
    pct(xp.gainAverage),
    pts(xp.gainAverage - CDMA_TEXT.titanxp.gainAverage),
  ]);
  rows.push([
    'Titan Xp: gain, maximum',
    pct(CDMA_TEXT.titanxp.gainMax),
    pct(xp.gainMax),
    pts(xp.gainMax - CDMA_TEXT.titanxp.gainMax),
  ]);
  return htmlTable(['number', 'paper', 'model', 'model - paper'], rows);
}

/** Builds the page and its charts (no file is written here). */
export async function buildPaperPage(): Promise<PaperPage> {
  const c = compute();
  const networks = VDNN_NETWORKS.map((n) => n.label);
  const specs: { file: string; title: string; caption: string; spec: TopLevelSpec }[] = [
    {
      file: 'vdnn-memory.svg',
      title: 'vDNN, Figure 11: GPU memory',
      caption:
        "Peak memory per configuration, Titan X, batch 128: baseline = network-wide allocation with weights; vDNN's runs = its memory pool (feature maps, gradient maps, the running layer's workspace). Bars: the model; red ticks: the paper.",
      spec: barsWithPaper(
        'vDNN, Figure 11: GPU memory (Titan X, PCIe gen3, batch 128)',
        c.vdnn.flatMap((n) => [
          ...memoryPoints(n.label, n.model, 'model'),
          ...memoryPoints(n.label, n.paper, 'paper'),
        ]),
        MEMORY_CONFIGS,
        'memory (MiB)',
        networks,
      ),
    },
    {
      file: 'vdnn-offloaded.svg',
      title: 'vDNN, Figure 12: bytes offloaded',
      caption: 'Feature maps offloaded per iteration, performance-optimal convolutions.',
      spec: barsWithPaper(
        'vDNN, Figure 12: offloaded per iteration (batch 128)',
        c.vdnn.flatMap((n) => [
          ...offloadPoints(n.label, n.model, 'model'),
          ...offloadPoints(n.label, n.paper, 'paper'),
        ]),
        ['vDNN_all', 'vDNN_conv'],
        'offloaded (MiB)',
        networks,
      ),
    },
    {
      file: 'vdnn-performance.svg',
      title: 'vDNN, Figure 14: performance',
      caption:
        'Performance normalised to the baseline with performance-optimal convolutions (oracle time / time); (m) memory-optimal, (p) performance-optimal convolutions.',
      spec: barsWithPaper(
        'vDNN, Figure 14: performance (Titan X, PCIe gen3, batch 128)',
        c.vdnn.flatMap((n) => [
          ...perfPoints(n.label, n.model, 'model'),
          ...perfPoints(n.label, n.paper, 'paper'),
        ]),
        PERF_CONFIGS,
        'normalised performance (oracle time / time)',
        networks,
      ),
    },
    {
      file: 'vdnn-very-deep.svg',
      title: "vDNN's very deep VGGs",
      caption:
        'Memory the network needs without vDNN (network-wide, with weights) and the memory vDNN_dyn trains it in (pool and weights), batch 32; the paper gives 3.0 to 4.3 GB for the whole range.',
      spec: veryDeepChart(c.text),
    },
    {
      file: 'cdma-gain.svg',
      title: "cDMA's gain per network",
      caption: `cDMA over vDNN_all(p), every offloaded tensor at ${CDMA_TEXT.averageRatio}x, PCIe gen3, batch 128; dashed red lines: the papers' average and maximum (arXiv on Titan X, HPCA on Titan Xp).`,
      spec: cdmaChart(c.cdma),
    },
    {
      file: 'cdma-link-bandwidth.svg',
      title: 'Sensitivity to link bandwidth',
      caption: `Average gain over the six networks as the host link gets faster, GPUs by generation; red diamonds: the papers' averages on PCIe gen3 (12.8 GB/s).`,
      spec: linkChart(c.links),
    },
  ];
  const charts: PaperChart[] = [];
  for (const s of specs)
    charts.push({
      file: s.file,
      title: s.title,
      caption: s.caption,
      svg: await renderChart(s.spec),
    });
  const figure = (ch: PaperChart) =>
    `<figure class="chart" id="${escapeHtml(ch.file.replace('.svg', ''))}">${ch.svg}<figcaption class="note">${escapeHtml(ch.caption)} Standalone: <a href="${escapeHtml(ch.file)}">${escapeHtml(ch.file)}</a>.</figcaption></figure>`;
  const sections: PageSection[] = [
    ...charts.map((ch) => ({ title: ch.title, html: figure(ch) })),
    { title: "vDNN's figures, value by value", html: vdnnTable(c) },
    { title: "vDNN's text", html: textTable(c) },
    { title: 'cDMA', html: cdmaTable(c) },
  ];
  const html = htmlPage(
    'The vDNN and cDMA evaluations, redrawn by the performance model',
    sections,
    'vDNN (arXiv 1602.08124) and cDMA (arXiv 1705.01626, HPCA 2018) evaluation figures from cdma simulate, ' +
      "with the papers' values overlaid (read from their figures to about 5 MiB and 0.005). Setup: " +
      `${PAPER_SETUP.gpu}, ${PAPER_SETUP.link}, ${PAPER_SETUP.library} algorithms, plain SGD. ` +
      'docs/SIMULATOR.md explains every assumption and every miss.',
  );
  return { html, charts };
}
