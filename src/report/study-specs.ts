/**
 * Vega-Lite specifications of the study report's charts, built from a
 * results file. Pure data in, specs out; src/report/charts.ts renders them
 * to inline SVG.
 */
import type { TopLevelSpec } from 'vega-lite';
import { ALGORITHMS, LAYOUTS, type ModelResult, type StudyResults } from '../study/results.js';

const LAYOUT_COLORS = { domain: [...LAYOUTS], range: ['#4c78a8', '#f58518', '#54a24b'] };
const ALGORITHM_COLORS = { domain: [...ALGORITHMS], range: ['#e45756', '#72b7b2', '#b279a2'] };

/** A layer's label in charts: the layer name, with ":mask" for dropout masks. */
export function layerLabel(l: { layer: string; role: string }): string {
  return l.role === 'mask' ? `${l.layer}:mask` : l.layer;
}

function stepTitle(results: StudyResults): string {
  return results.config.mode === 'training' ? 'training step' : 'image batch';
}

/** Density of every recorded layer at every recorded step (rows: layers in network order). */
export function densityHeatmap(results: StudyResults, m: ModelResult): TopLevelSpec {
  const order = m.layers.map(layerLabel);
  const values = m.layers.flatMap((l) =>
    m.steps.map((step, i) => ({ layer: layerLabel(l), step, density: l.series.density[i] })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${m.model}: density per layer over ${results.config.mode === 'training' ? 'training' : 'batches'}`,
    width: Math.min(720, Math.max(240, 14 * m.steps.length)),
    height: Math.max(60, 13 * order.length),
    data: { values },
    mark: { type: 'rect' },
    encoding: {
      x: {
        field: 'step',
        type: 'ordinal',
        title: stepTitle(results),
        axis: { labelOverlap: true },
      },
      y: { field: 'layer', type: 'ordinal', sort: order, title: null },
      color: {
        field: 'density',
        type: 'quantitative',
        scale: { domain: [0, 1], scheme: 'viridis' },
        title: 'density',
      },
      tooltip: [{ field: 'layer' }, { field: 'step' }, { field: 'density', format: '.3f' }],
    },
  };
}

/** Network-wide density (element-weighted over the recorded tensors) per step. */
export function densityLine(results: StudyResults, m: ModelResult): TopLevelSpec {
  const values = m.steps.map((step, i) => ({ step, density: m.densitySeries[i] }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${m.model}: network-wide average density`,
    width: 420,
    height: 180,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: stepTitle(results) },
      y: { field: 'density', type: 'quantitative', scale: { domain: [0, 1] }, title: 'density' },
    },
  };
}

/** Network-wide ratio per algorithm (groups) and layout (bars in a group). */
export function ratioBars(m: ModelResult): TopLevelSpec {
  const values = ALGORITHMS.flatMap((algorithm) =>
    LAYOUTS.map((layout) => ({ algorithm, layout, ratio: m.ratios[algorithm][layout] })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${m.model}: compression ratio over training`,
    width: 300,
    height: 200,
    data: { values },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          x: {
            field: 'algorithm',
            type: 'nominal',
            sort: [...ALGORITHMS],
            title: null,
            axis: { labelAngle: 0 },
          },
          xOffset: { field: 'layout', type: 'nominal', sort: [...LAYOUTS] },
          y: { field: 'ratio', type: 'quantitative', title: 'raw / compressed' },
          color: { field: 'layout', type: 'nominal', scale: LAYOUT_COLORS, title: 'layout' },
          tooltip: [{ field: 'algorithm' }, { field: 'layout' }, { field: 'ratio', format: '.2f' }],
        },
      },
      {
        mark: { type: 'rule', strokeDash: [4, 3], color: '#666' },
        encoding: { y: { datum: 1 } },
      },
    ],
  };
}

/** Per-layer ratio over training: one row of bars per algorithm, layouts side by side. */
export function layerRatioBars(m: ModelResult): TopLevelSpec {
  const order = m.layers.map(layerLabel);
  const values = m.layers.flatMap((l) =>
    ALGORITHMS.flatMap((algorithm) =>
      LAYOUTS.map((layout) => ({
        layer: layerLabel(l),
        algorithm,
        layout,
        ratio: l.ratios[algorithm][layout],
      })),
    ),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${m.model}: compression ratio per layer`,
    data: { values },
    facet: { row: { field: 'algorithm', type: 'nominal', sort: [...ALGORITHMS], title: null } },
    spec: {
      width: Math.min(900, Math.max(300, 24 * order.length)),
      height: 110,
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'layer', type: 'nominal', sort: order, title: null, axis: { labelAngle: -45 } },
        xOffset: { field: 'layout', type: 'nominal', sort: [...LAYOUTS] },
        y: { field: 'ratio', type: 'quantitative', title: 'ratio' },
        color: { field: 'layout', type: 'nominal', scale: LAYOUT_COLORS, title: 'layout' },
        tooltip: [
          { field: 'layer' },
          { field: 'algorithm' },
          { field: 'layout' },
          { field: 'ratio', format: '.2f' },
        ],
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/** Every network's ratio over training, NCHW, one group per network. */
export function overviewBars(results: StudyResults): TopLevelSpec {
  const values = results.models.flatMap((m) =>
    ALGORITHMS.map((algorithm) => ({ model: m.model, algorithm, ratio: m.ratios[algorithm].nchw })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Compression ratio per network (NCHW, over training)',
    width: Math.max(240, 90 * results.models.length),
    height: 200,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: {
        field: 'model',
        type: 'nominal',
        title: null,
        sort: results.models.map((m) => m.model),
        axis: { labelAngle: -30 },
      },
      xOffset: { field: 'algorithm', type: 'nominal', sort: [...ALGORITHMS] },
      y: { field: 'ratio', type: 'quantitative', title: 'raw / compressed' },
      color: { field: 'algorithm', type: 'nominal', scale: ALGORITHM_COLORS, title: 'algorithm' },
      tooltip: [{ field: 'model' }, { field: 'algorithm' }, { field: 'ratio', format: '.2f' }],
    },
  };
}
