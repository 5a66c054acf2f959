/**
 * `cdma simulate --paper DIR`: the papers' figures redrawn, one offline page
 * plus one standalone SVG per chart, opened in headless Chromium with the
 * network cut off and JavaScript disabled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { GPU_ORDER, SERIES_COLOURS } from '../../src/sim/paper-report.js';

const CHROMIUM = '/usr/bin/chromium';
const CHARTS = [
  'vdnn-memory.svg',
  'vdnn-offloaded.svg',
  'vdnn-performance.svg',
  'vdnn-very-deep.svg',
  'cdma-gain.svg',
  'cdma-link-bandwidth.svg',
];

test('--paper takes no other option, and refuses a file where its folder should be', async (t) => {
  const dir = tempDir(t, 'paper-opts');
  for (const extra of [['--model', 'vgg16'], ['--gpu', 'v100'], ['--sweep'], ['--json']]) {
    const r = await runCli('simulate', '--paper', dir, ...extra);
    assert.equal(r.code, 1, extra.join(' '));
    assert.match(r.err, /^cdma: --\S+ has no effect with --paper/, extra.join(' '));
    assert.equal(r.err.trim().split('\n').length, 1);
  }
  const file = join(dir, 'file');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(file, 'x');
  const r = await runCli('simulate', '--paper', file);
  assert.equal(r.code, 1);
  assert.match(r.err, /paper folder .* exists and is a (regular )?file/);
});

test(
  '--paper writes one offline page and a standalone SVG per chart; Chromium renders them with the network cut off',
  { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent (apt-get install chromium)` },
  async (t) => {
    const dir = tempDir(t, 'paper');
    const r = await runCli('simulate', '--paper', dir);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /paper\.html and 6 SVG charts written/);
    assert.deepEqual(readdirSync(dir).sort(), [...CHARTS, 'paper.html'].sort());
    const html = readFileSync(join(dir, 'paper.html'), 'utf8');
    assert.doesNotMatch(html, /<script/);
    assert.doesNotMatch(html.replace(/https?:\/\/www\.w3\.org[^"']*/g, ''), /https?:\/\//);
    for (const f of CHARTS) {
      const svg = readFileSync(join(dir, f), 'utf8');
      assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, f);
      // Every chart names its axes with units, and the page inlines the same drawing.
      assert.match(svg, /\((MiB|GiB|%|GB\/s[^)]*|oracle time \/ time)\)/, f);
      assert.ok(html.includes(svg), `${f} is inlined in the page`);
    }
    // The paper's series is red wherever it appears; each GPU keeps its colour.
    for (const f of ['vdnn-memory.svg', 'vdnn-performance.svg', 'cdma-gain.svg']) {
      assert.ok(readFileSync(join(dir, f), 'utf8').includes(SERIES_COLOURS.paper), f);
    }
    const linkSvg = readFileSync(join(dir, 'cdma-link-bandwidth.svg'), 'utf8');
    for (const g of GPU_ORDER) assert.ok(linkSvg.includes(g.colour), g.id);

    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    try {
      const context = await browser.newContext({ offline: true, javaScriptEnabled: false });
      const requests: string[] = [];
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
        requests.push(url);
        return route.abort();
      });
      const page = await context.newPage();
      await page.goto(pathToFileURL(join(dir, 'paper.html')).href, { waitUntil: 'load' });
      assert.deepEqual(requests, [], 'the page asks for nothing outside itself');
      const charts = await page.$$eval('figure.chart > svg', (svgs) =>
        svgs.map((s) => {
          const b = s.getBoundingClientRect();
          return { w: b.width, h: b.height, marks: s.querySelectorAll('path, rect, line').length };
        }),
      );
      assert.equal(charts.length, CHARTS.length);
      for (const c of charts) {
        assert.ok(c.w > 200 && c.h > 150, `chart drawn at ${c.w}x${c.h}`);
        assert.ok(c.marks > 20, `chart has ${c.marks} marks`);
      }
      // Charts in the papers' order; GPUs by generation in the legend, not alphabetically.
      const ids = await page.$$eval('figure.chart', (fs) => fs.map((f) => f.id));
      assert.deepEqual(
        ids,
        CHARTS.map((c) => c.replace('.svg', '')),
      );
      const legend = await page
        .locator('#cdma-link-bandwidth svg text')
        .allTextContents()
        .then((ts) => ts.filter((x) => GPU_ORDER.some((g) => g.label === x)));
      assert.deepEqual(
        legend,
        GPU_ORDER.map((g) => g.label),
      );
      const tables = await page.locator('table').count();
      assert.equal(tables, 3);
      // A standalone SVG opens on its own too.
      const svgPage = await context.newPage();
      await svgPage.goto(pathToFileURL(join(dir, 'vdnn-performance.svg')).href, {
        waitUntil: 'load',
      });
      const box = await svgPage.locator('svg').first().boundingBox();
      assert.ok(box && box.width > 200 && box.height > 150);
    } finally {
      await browser.close();
    }
  },
);
