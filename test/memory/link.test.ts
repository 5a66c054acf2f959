import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LINK_PRESETS,
  PAPER_GPU_FLOPS,
  PAPER_LINK_BYTES_PER_SECOND,
  formatBandwidth,
  parseLink,
  transferSeconds,
} from '../../src/memory/link.js';
import { InvalidArgumentError } from '../../src/errors.js';

test('presets parse to their effective bandwidths', () => {
  assert.equal(parseLink('pcie3').bytesPerSecond, 12.8e9);
  assert.equal(parseLink('PCIe4').bytesPerSecond, 25.6e9);
  assert.equal(parseLink('pcie5').bytesPerSecond, 51.2e9);
  assert.ok(parseLink('nvlink').bytesPerSecond > parseLink('pcie5').bytesPerSecond);
  assert.equal(parseLink('unlimited').bytesPerSecond, Infinity);
  assert.equal(transferSeconds(LINK_PRESETS.unlimited, 1e12), 0);
});

test('<N>GBps and <N>MBps give custom links', () => {
  assert.equal(parseLink('2.5GBps').bytesPerSecond, 2.5e9);
  assert.equal(parseLink('300MBps').bytesPerSecond, 300e6);
  assert.equal(parseLink('8GB/s').bytesPerSecond, 8e9);
  assert.equal(parseLink('2.5GBps').name, '2.5GBps');
});

test('transfer time is latency plus bytes over bandwidth', () => {
  const l = parseLink('pcie3');
  assert.equal(transferSeconds(l, 12.8e9), 1 + l.latencySeconds);
  assert.equal(transferSeconds(parseLink('1GBps'), 5e8), 0.5);
});

test('paper-scaled keeps the Titan Xp compute-to-bandwidth ratio', () => {
  const rate = 20e9; // 20 GFLOP/s
  const l = parseLink('paper-scaled', rate);
  assert.equal(l.name, 'paper-scaled');
  assert.ok(
    Math.abs(rate / l.bytesPerSecond - PAPER_GPU_FLOPS / PAPER_LINK_BYTES_PER_SECOND) < 1e-6,
  );
  assert.equal(l.computeFlopsPerSecond, rate);
  assert.throws(() => parseLink('paper-scaled'), InvalidArgumentError);
  assert.throws(() => parseLink('paper-scaled', 0), InvalidArgumentError);
});

test('bad link names are rejected with the valid choices', () => {
  for (const bad of ['', 'pcie9', '0GBps', '-1GBps', 'fastGBps', '1e3GBps', '5 Gbps']) {
    assert.throws(
      () => parseLink(bad),
      (e: unknown) => {
        assert.ok(e instanceof InvalidArgumentError, bad);
        assert.match((e as Error).message, /pcie3/);
        return true;
      },
    );
  }
});

test('bandwidth formatting', () => {
  assert.equal(formatBandwidth(LINK_PRESETS.pcie3), '12.8 GB/s');
  assert.equal(formatBandwidth(parseLink('21.3MBps')), '21.3 MB/s');
  assert.equal(formatBandwidth(LINK_PRESETS.unlimited), 'unlimited');
});

test('--link reads the one link table of the performance model, with its sources', async () => {
  const { getLink, listLinks } = await import('../../src/sim/links.js');
  for (const spec of listLinks()) {
    const l = parseLink(spec.id);
    assert.equal(l.name, spec.id);
    assert.equal(l.bytesPerSecond, Math.round(spec.effectiveGBs * 1e9), spec.id);
    assert.equal(l.latencySeconds, spec.latencySeconds);
    assert.match(spec.source, /[\d.]+ GB\/s/, `${spec.id}: the source states a bandwidth`);
    assert.equal(LINK_PRESETS[spec.id], l);
  }
  // nvlink is an alias of NVLink 1 (4 x 20 GB/s, 90% achieved), in both.
  assert.equal(parseLink('nvlink').name, 'nvlink1');
  assert.equal(parseLink('NVLink').bytesPerSecond, 72e9);
  assert.equal(getLink('nvlink').id, 'nvlink1');
  assert.equal(parseLink('nvlink-c2c').bytesPerSecond, 405e9);
  assert.equal(PAPER_LINK_BYTES_PER_SECOND, 12.8e9);
  assert.throws(() => parseLink('pcie6'), /unknown link 'pcie6': use one of unlimited, pcie3/);
  assert.throws(() => getLink('pcie6'), /unknown link 'pcie6'/);
});
