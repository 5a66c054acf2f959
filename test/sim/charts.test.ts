import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, htmlPage, htmlTable, renderChart } from '../../src/report/charts.js';

test('renderChart turns a Vega-Lite spec into an SVG with one mark per datum', async () => {
  const svg = await renderChart({
    data: {
      values: [
        { a: 'x', b: 1 },
        { a: 'y', b: 3 },
        { a: 'z', b: 2 },
      ],
    },
    mark: 'bar',
    encoding: { x: { field: 'a', type: 'nominal' }, y: { field: 'b', type: 'quantitative' } },
  });
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal((svg.match(/role-mark[^>]*>/g) ?? []).length > 0, true);
  assert.equal((svg.match(/<path aria-label="a: /g) ?? []).length, 3);
});

test('htmlPage is self-contained and escapes titles; tables escape cells', () => {
  const page = htmlPage(
    'a <b> & c',
    [{ title: 'T<1>', html: htmlTable(['h'], [['<x>']]) }],
    'intro & more',
  );
  assert.match(page, /^<!DOCTYPE html>/);
  assert.match(page, /<title>a &lt;b&gt; &amp; c<\/title>/);
  assert.match(page, /<h2>T&lt;1&gt;<\/h2>/);
  assert.match(page, /<td>&lt;x&gt;<\/td>/);
  assert.doesNotMatch(page, /<script|<link|src=/);
  assert.equal(escapeHtml(`"'`), '&quot;&#39;');
});
