/** The sweep's HTML page: charts as inline SVG (src/report/charts.ts) and the full table. */
import type { TopLevelSpec } from 'vega-lite';
import {
  escapeHtml,
  htmlPage,
  htmlTable,
  renderChart,
  type PageSection,
} from '../report/charts.js';
import { sweepCells, sweepHeader, type SweepResult, type SweepRow } from './sweep.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

async function figure(spec: TopLevelSpec): Promise<string> {
  return `<figure class="chart">${await renderChart(spec)}</figure>`;
}

/** cDMA over vDNN against density, one line per link, one panel per GPU. */
function improvementByDensity(
  rows: readonly SweepRow[],
  codec: string,
  dtype: string,
): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: `cDMA over vDNN (${codec}, ${dtype}) against post-ReLU density`,
    data: {
      values: rows
        .filter((r) => r.codec === codec && r.dtype === dtype)
        .map((r) => ({
          gpu: r.gpu,
          link: r.link,
          density: r.density,
          improvement: r.improvement * 100,
        })),
    },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'density', type: 'quantitative', title: 'density' },
      y: { field: 'improvement', type: 'quantitative', title: 'cDMA over vDNN (%)' },
      color: { field: 'link', type: 'nominal' },
      facet: { field: 'gpu', type: 'nominal', columns: 3, title: null },
    },
    width: 220,
    height: 150,
  } as TopLevelSpec;
}

/** Normalised performance of vDNN and cDMA per GPU and link at one density. */
function perfBars(rows: readonly SweepRow[]): TopLevelSpec {
  const values = rows.flatMap((r) => [
    { gpu: r.gpu, link: r.link, scheme: 'vDNN', perf: r.vdnnPerf },
    { gpu: r.gpu, link: r.link, scheme: 'cDMA', perf: r.cdmaPerf },
  ]);
  return {
    $schema: SCHEMA,
    title: 'Performance normalised to the oracle',
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: 'link', type: 'nominal', title: null },
      xOffset: { field: 'scheme' },
      y: {
        field: 'perf',
        type: 'quantitative',
        title: 'oracle time / time',
        scale: { domain: [0, 1] },
      },
      color: { field: 'scheme', type: 'nominal' },
      facet: { field: 'gpu', type: 'nominal', columns: 3, title: null },
    },
    width: 220,
    height: 150,
  } as TopLevelSpec;
}

/** Improvement by codec against density for one GPU and link. */
function codecLines(rows: readonly SweepRow[]): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: `Codecs on ${rows[0]?.gpu ?? ''} over ${rows[0]?.link ?? ''}`,
    data: {
      values: rows.map((r) => ({
        codec: `${r.codec} ${r.dtype}`,
        density: r.density,
        improvement: r.improvement * 100,
      })),
    },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'density', type: 'quantitative' },
      y: { field: 'improvement', type: 'quantitative', title: 'cDMA over vDNN (%)' },
      color: { field: 'codec', type: 'nominal' },
    },
    width: 360,
    height: 220,
  } as TopLevelSpec;
}

function closest(values: readonly number[], target: number): number {
  return values.reduce((a, b) => (Math.abs(b - target) < Math.abs(a - target) ? b : a));
}

export async function sweepHtml(
  result: SweepResult,
  title = 'cdma simulate --sweep',
): Promise<string> {
  const sections: PageSection[] = [];
  const rows = result.rows;
  const models = [...new Set(rows.map((r) => r.model))];
  for (const model of models) {
    const mine = rows.filter((r) => r.model === model);
    const numeric = mine.filter((r) => typeof r.density === 'number');
    const parts: string[] = [];
    const codec = mine.some((r) => r.codec === 'zvc') ? 'zvc' : mine[0].codec;
    const dtype = mine.some((r) => r.dtype === 'float32') ? 'float32' : mine[0].dtype;
    if (numeric.length > 0) {
      parts.push(await figure(improvementByDensity(numeric, codec, dtype)));
      const dens = [...new Set(numeric.map((r) => r.density as number))];
      const d = closest(dens, 0.35);
      parts.push(
        `<p class="note">Bars at density ${d} (${escapeHtml(codec)}, ${escapeHtml(dtype)}).</p>`,
      );
      parts.push(
        await figure(
          perfBars(
            numeric.filter((r) => r.density === d && r.codec === codec && r.dtype === dtype),
          ),
        ),
      );
      const g = numeric[0].gpu;
      const l = numeric[0].link;
      const byCodec = numeric.filter((r) => r.gpu === g && r.link === l);
      if (new Set(byCodec.map((r) => `${r.codec} ${r.dtype}`)).size > 1)
        parts.push(await figure(codecLines(byCodec)));
    } else {
      parts.push(
        await figure(perfBars(mine.filter((r) => r.codec === codec && r.dtype === dtype))),
      );
    }
    sections.push({ title: `${model} (batch ${mine[0].batch})`, html: parts.join('\n') });
  }
  sections.push({ title: 'All points', html: htmlTable(sweepHeader(), rows.map(sweepCells)) });
  if (result.skipped.length > 0) {
    sections.push({
      title: 'Skipped',
      html: `<ul>${result.skipped.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>`,
    });
  }
  return htmlPage(
    title,
    sections,
    'Performance model of vDNN and a compressing DMA engine (docs/SIMULATOR.md states every assumption). ' +
      'perf = oracle iteration time / iteration time; cDMA vs vDNN = vDNN time / cDMA time - 1.',
  );
}
