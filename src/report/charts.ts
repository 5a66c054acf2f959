/**
 * Charts and pages for reports that open offline. A chart is a Vega-Lite
 * spec compiled and rendered to inline SVG here, in Node, so a page needs no
 * JavaScript to be read. Shared by the simulator's sweep and the study report.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

/** Renders a Vega-Lite spec (data inline) to an SVG string. */
export async function renderChart(spec: TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A section of a page: a heading and trusted HTML (escape any text you put in it). */
export interface PageSection {
  readonly title: string;
  readonly html: string;
}

/** Renders rows as an HTML table; every cell is escaped. */
export function htmlTable(
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  const cell = (tag: string, v: string | number) => `<${tag}>${escapeHtml(String(v))}</${tag}>`;
  return (
    `<table><thead><tr>${header.map((h) => cell('th', h)).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((v) => cell('td', v)).join('')}</tr>`).join('') +
    '</tbody></table>'
  );
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.2rem .5rem;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}svg{max-width:100%;height:auto}
.note{color:#555;font-size:.9rem}.row{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}
figure.chart{margin:.5rem 0}h3{font-size:1rem;margin-top:1.2rem}`;

/** A self-contained HTML page (inline CSS, no scripts, no external resources). */
export function htmlPage(title: string, sections: readonly PageSection[], intro = ''): string {
  return (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>` +
    `<h1>${escapeHtml(title)}</h1>${intro ? `<p class="note">${escapeHtml(intro)}</p>` : ''}` +
    sections.map((s) => `<section><h2>${escapeHtml(s.title)}</h2>${s.html}</section>`).join('\n') +
    '</body></html>\n'
  );
}
