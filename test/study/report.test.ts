import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildStudyReport, mapImage } from '../../src/report/study-report.js';
import { compare, densityForZvcRatio, zvcRatioAt } from '../../src/report/study-compare.js';
import { renderActivationMap } from '../../src/study/maps.js';
import type { ModelResult, StudyResults } from '../../src/study/results.js';
import { syntheticModel, syntheticResults } from './fixtures.js';
import { tempDir } from '../helpers/tmp.js';

const CHROMIUM = '/usr/bin/chromium';

/** Synthetic results with real map PNGs under dir/maps. */
function resultsWithMaps(dir: string): StudyResults {
  const models: ModelResult[] = ['alexnet-small', 'vgg16-small'].map((name) => {
    const m = syntheticModel(name, [0, 10, 20, 30]);
    mkdirSync(join(dir, 'maps', name), { recursive: true });
    const maps = [0, 30].map((step) => {
      const data = new Float32Array(2 * 6 * 6 * 8).map((_, i) => (i % 3 === 0 ? 0 : (i % 7) - 2));
      const img = renderActivationMap(data, [8, 6, 6], 0, 4);
      const file = `maps/${name}/relu1-s${step}.png`;
      writeFileSync(join(dir, file), img.png);
      return { layer: 'relu1', step, file, channels: img.channels, density: img.density };
    });
    return { ...m, maps };
  });
  return syntheticResults(models);
}

test('the ZVC ratio and density conversions invert each other', () => {
  assert.equal(zvcRatioAt(0), 32);
  assert.ok(Math.abs(densityForZvcRatio(zvcRatioAt(0.3)) - 0.3) < 1e-12);
  // The paper's headline in densities: 2.6x is about 35%, 13.8x about 4.1%.
  assert.ok(Math.abs(densityForZvcRatio(2.6) - 0.3534) < 1e-3);
  assert.ok(Math.abs(densityForZvcRatio(13.8) - 0.0412) < 1e-3);
});

test('the comparison takes the average over networks and the sparsest layer', () => {
  const r = syntheticResults([syntheticModel('a', [0, 10]), syntheticModel('b', [0])]);
  const c = compare(r);
  assert.ok(c);
  assert.ok(
    Math.abs(c.averageAll - (r.models[0].ratios.zvc.nchw + r.models[1].ratios.zvc.nchw) / 2) <
      1e-12,
  );
  assert.equal(c.max.layer, 'relu2');
  assert.equal(c.averageOffloaded, null, 'the synthetic layers are nobody\u2019s input');
  assert.equal(compare(syntheticResults([])), null);
});

test('the report escapes names, inlines maps and says when one is missing', async (t) => {
  const dir = tempDir(t, 'report');
  const r = resultsWithMaps(dir);
  const evil = {
    ...r.models[0],
    model: '<script>alert(1)</script>',
    maps: [
      ...r.models[0].maps,
      { layer: 'relu2', step: 0, file: 'maps/none.png', channels: 1, density: 0 },
    ],
  };
  const html = await buildStudyReport(syntheticResults([evil]), dir);
  assert.ok(!html.includes('<script>'));
  assert.ok(html.includes('&lt;script&gt;'));
  assert.match(html, /<img class="map" src="data:image\/png;base64,/);
  assert.match(html, /missing image maps\/none\.png/);
  assert.match(html, /13\.8x/);
});

test(
  'report.html opens offline in headless Chromium with its charts and activation maps',
  { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent (apt-get install chromium)` },
  async (t) => {
    const { chromium } = await import('playwright-core');
    const dir = tempDir(t, 'report');
    const results = resultsWithMaps(dir);
    const file = join(dir, 'report.html');
    writeFileSync(file, await buildStudyReport(results, dir));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
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
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      assert.deepEqual(requests, [], 'the page asks for nothing outside itself');
      // One overview chart, and per network: heatmap, line, grouped bars, per-layer bars.
      const charts = await page.locator('figure.chart > svg').count();
      assert.equal(charts, 1 + 4 * results.models.length);
      const sizes = await page.$$eval('figure.chart > svg', (svgs) =>
        svgs.map((s) => {
          const b = s.getBoundingClientRect();
          return { w: b.width, h: b.height, marks: s.querySelectorAll('path, rect, line').length };
        }),
      );
      for (const s of sizes) assert.ok(s.w > 100 && s.h > 50 && s.marks > 3, JSON.stringify(s));
      const text = await page.locator('body').innerText();
      for (const title of [
        'density per layer over training',
        'network-wide average density',
        'compression ratio over training',
        'compression ratio per layer',
        'Against the paper',
      ]) {
        assert.ok(text.includes(title), title);
      }
      const images = await page.$$eval('img.map', (imgs) =>
        imgs.map((i) => ({ ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth })),
      );
      assert.equal(images.length, 2 * results.models.length);
      assert.ok(
        images.every((i) => i.ok),
        JSON.stringify(images),
      );
      assert.equal(await page.locator('script').count(), 0);
    } finally {
      await browser.close();
    }
  },
);

test('map images are read through the bounded reader: pipes, devices and large files are missing images', (t) => {
  const dir = tempDir(t, 'report-maps');
  const img = renderActivationMap(new Float32Array(4 * 6 * 6).fill(1), [4, 6, 6], 0, 4);
  writeFileSync(join(dir, 'ok.png'), img.png);
  const ok = mapImage(dir, 'ok.png');
  assert.ok(ok?.uri.startsWith('data:image/png;base64,'));
  execFileSync('mkfifo', [join(dir, 'fifo.png')]);
  assert.equal(mapImage(dir, 'fifo.png'), null);
  symlinkSync('/dev/zero', join(dir, 'zero.png'));
  assert.equal(mapImage(dir, 'zero.png'), null);
  writeFileSync(join(dir, 'big.png'), img.png);
  truncateSync(join(dir, 'big.png'), 4 * 1024 * 1024 + 1);
  assert.equal(mapImage(dir, 'big.png'), null);
  assert.equal(mapImage(dir, 'missing.png'), null);
  assert.equal(mapImage(dir, '../ok.png'), null);
});
