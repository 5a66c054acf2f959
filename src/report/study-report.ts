/**
 * DIR/report.html of a study: one self-contained page (charts as inline SVG,
 * activation maps as PNG data: URIs, no scripts, no network) built from the
 * results file and the map images next to it.
 */
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { escapeHtml, htmlPage, renderChart, type PageSection } from './charts.js';
import {
  densityHeatmap,
  densityLine,
  layerLabel,
  layerRatioBars,
  overviewBars,
  ratioBars,
} from './study-specs.js';
import { PAPER, compare, comparisonRows, differenceNotes } from './study-compare.js';
import {
  ALGORITHMS,
  LAYOUTS,
  isSafeRelativePath,
  type ModelResult,
  type StudyResults,
} from '../study/results.js';
import { CdmaError } from '../errors.js';
import { FILE_LIMITS } from '../io/limits.js';
import { readBounded } from '../io/read.js';

function table(head: string[], rows: string[][], cls = ''): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const tr = rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

const f2 = (v: number): string => v.toFixed(2);
const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
const perLayout = (t: { nchw: number; nhwc: number; chwn: number }): string =>
  LAYOUTS.map((l) => f2(t[l])).join(' / ');

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Largest width or height of a map image. */
const MAX_MAP_SIDE = 1 << 16;
/** Rough on-screen width of an activation map. */
const MAP_DISPLAY_PX = 150;

/** A map PNG under `dir`: a data: URI and its size, or null when it is missing, too large or not a PNG. */
export function mapImage(
  dir: string,
  file: string,
): { uri: string; width: number; height: number } | null {
  if (!isSafeRelativePath(file)) return null;
  const path = join(dir, file);
  let bytes: Buffer;
  try {
    bytes = readBounded(path, { what: 'activation map', maxBytes: FILE_LIMITS.reportImage });
  } catch (e) {
    if (e instanceof CdmaError) return null;
    throw e;
  }
  // Signature, then the IHDR chunk: length, "IHDR", width and height (big-endian).
  if (bytes.length < 24 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return null;
  if (bytes.toString('latin1', 12, 16) !== 'IHDR') return null;
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  if (width < 1 || height < 1 || width > MAX_MAP_SIDE || height > MAX_MAP_SIDE) return null;
  return { uri: `data:image/png;base64,${bytes.toString('base64')}`, width, height };
}

async function chart(spec: TopLevelSpec): Promise<string> {
  return `<figure class="chart">${await renderChart(spec)}</figure>`;
}

function summaryTable(results: StudyResults): string {
  const head = [
    'network',
    'steps',
    'density (avg)',
    'density first \u2192 last',
    'ZVC',
    'RLE nchw / nhwc / chwn',
    'zlib nchw / nhwc / chwn',
    'recording cost',
  ];
  const rows = results.models.map((m) => {
    const n = m.densitySeries.length;
    return [
      m.model === m.requested ? m.model : `${m.model} (${m.requested})`,
      `${m.stepsDone} / ${m.stepsPlanned}${m.status === 'complete' ? '' : ' (running)'}`,
      pct(m.density),
      n === 0 ? '-' : `${pct(m.densitySeries[0])} \u2192 ${pct(m.densitySeries[n - 1])}`,
      f2(m.ratios.zvc.nchw),
      perLayout(m.ratios.rle),
      perLayout(m.ratios.zlib),
      m.overhead.trainSeconds > 0 ? pct(m.overhead.fraction) : '-',
    ];
  });
  return table(head, rows, 'numbers');
}

function layerTable(m: ModelResult): string {
  const head = [
    'layer',
    'kind',
    'shape',
    'saved for',
    'density',
    'first \u2192 last',
    'ZVC',
    'RLE nchw / nhwc / chwn',
    'zlib nchw / nhwc / chwn',
    'mean zero run (nchw)',
    'all-zero blocks (nchw)',
    'channel density std',
    'dead channels',
  ];
  const rows = m.layers.map((l) => {
    const d = l.series.density;
    return [
      layerLabel(l),
      l.kind,
      `[${l.shape.join(', ')}]`,
      l.savedFor.join(', ') || '-',
      pct(l.density),
      d.length === 0 ? '-' : `${pct(d[0])} \u2192 ${pct(d[d.length - 1])}`,
      f2(l.ratios.zvc.nchw),
      perLayout(l.ratios.rle),
      perLayout(l.ratios.zlib),
      f2(l.zeroRunMean.nchw),
      pct(l.zeroBlockFraction.nchw),
      f2(l.channelDensityStd),
      pct(l.deadChannelFraction),
    ];
  });
  return table(head, rows, 'numbers');
}

function mapsSection(m: ModelResult, dir: string): string {
  if (m.maps.length === 0) return '<p>No activation maps were recorded for this network.</p>';
  const steps = [...new Set(m.maps.map((x) => x.step))].sort((a, b) => a - b);
  const layers = [...new Set(m.maps.map((x) => x.layer))];
  const head = `<tr><th>layer</th>${steps.map((s) => `<th>step ${s}</th>`).join('')}</tr>`;
  const rows = layers.map((layer) => {
    const cells = steps.map((step) => {
      const map = m.maps.find((x) => x.layer === layer && x.step === step);
      if (!map) return '<td></td>';
      const img = mapImage(dir, map.file);
      if (!img) return `<td class="missing">missing image ${escapeHtml(map.file)}</td>`;
      const alt = `${layer} at step ${step}: first ${map.channels} channels, density ${pct(map.density)}`;
      // Small maps are drawn enlarged, pixels kept sharp.
      const scale = Math.max(1, Math.min(8, Math.floor(MAP_DISPLAY_PX / img.width)));
      return (
        `<td><img class="map" src="${img.uri}" width="${img.width * scale}" height="${img.height * scale}" ` +
        `style="image-rendering:pixelated" alt="${escapeHtml(alt)}" title="${escapeHtml(alt)}">` +
        `<br><small>density ${pct(map.density)}</small></td>`
      );
    });
    return `<tr><th>${escapeHtml(layer)}</th>${cells.join('')}</tr>`;
  });
  return (
    '<p>First channels of the first image of the recorded batch, tiled; <b>black pixels are exact zeros</b>, ' +
    'brighter pixels larger values (blue tint: negative), dark red lines separate channels.</p>' +
    `<table class="maps"><thead>${head}</thead><tbody>${rows.join('\n')}</tbody></table>`
  );
}

async function modelSection(
  results: StudyResults,
  m: ModelResult,
  dir: string,
): Promise<PageSection> {
  if (m.steps.length === 0) {
    return { title: m.model, html: '<p>No step recorded yet.</p>' };
  }
  const parts = [
    `<p>${escapeHtml(m.model)}: ${m.layers.length} recorded tensors, ${m.steps.length} recorded steps ` +
      `(${m.stepsDone} of ${m.stepsPlanned} steps done). Network-wide density ${pct(m.density)}; ZVC ` +
      `${f2(m.ratios.zvc.nchw)}x, RLE ${perLayout(m.ratios.rle)}, zlib ${perLayout(m.ratios.zlib)} ` +
      `(nchw / nhwc / chwn).</p>`,
    '<div class="row">',
    await chart(densityHeatmap(results, m)),
    await chart(densityLine(results, m)),
    await chart(ratioBars(m)),
    '</div>',
    await chart(layerRatioBars(m)),
    '<h3>Activation maps</h3>',
    mapsSection(m, dir),
    '<h3>Per layer (over training)</h3>',
    layerTable(m),
  ];
  return { title: m.model, html: parts.join('\n') };
}

function comparisonSection(results: StudyResults): PageSection {
  const c = compare(results);
  if (!c) return { title: 'Against the paper', html: '<p>No results yet.</p>' };
  const notes = differenceNotes(results, c)
    .map((n) => `<li>${escapeHtml(n)}</li>`)
    .join('\n');
  return {
    title: 'Against the paper',
    html:
      `<p>The paper's headline (${escapeHtml(PAPER.source)}): ZVC-class compression of the offloaded ` +
      `activations averages ${PAPER.averageRatio}x, at most ${PAPER.maxRatio}x. Ratios below are fp32 ZVC ` +
      '(identical in every layout), averaged over training as raw bytes / mean compressed bytes.</p>' +
      table(['quantity', 'paper', 'this study', ''], comparisonRows(c)) +
      `<h3>Why they differ</h3><ul>${notes}</ul>`,
  };
}

function configSection(results: StudyResults): PageSection {
  const cf = results.config;
  const rows = [
    ['mode', cf.mode],
    [cf.mode === 'training' ? 'dataset' : 'images', cf.dataset],
    ['batch', String(cf.batch)],
    [cf.mode === 'training' ? 'steps per network' : 'batches', String(cf.steps)],
    ['recorded every', `${cf.every} step(s)`],
    ['seed', String(cf.seed)],
    ['backend', cf.backend],
    [
      'zlib',
      `level ${cf.zlib.level}, on the first ${cf.zlib.sampleImages} image(s) of each recorded batch, in each layout`,
    ],
    [
      'RLE parameters',
      Object.entries(cf.rle)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || '-',
    ],
    ['algorithms', ALGORITHMS.join(', ')],
    ['generator', results.generator],
  ];
  return { title: 'How this was measured', html: table(['', ''], rows) };
}

/** The whole report as one HTML string. `dir` is where the results file and its maps/ live. */
export async function buildStudyReport(results: StudyResults, dir: string): Promise<string> {
  const sections: PageSection[] = [
    {
      title: 'Summary',
      html:
        '<p>Density = non-zero elements / all elements; ratio = raw bytes / compressed bytes, averaged ' +
        'over training as raw / mean compressed. Network-wide numbers weigh each recorded tensor by its size.</p>' +
        summaryTable(results) +
        (results.models.length > 0 ? await chart(overviewBars(results)) : ''),
    },
    comparisonSection(results),
  ];
  for (const m of results.models) sections.push(await modelSection(results, m, dir));
  sections.push(configSection(results));
  return htmlPage('cdma activation sparsity study', sections);
}
