import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineFor, transferRate } from '../../src/sim/engine.js';
import { getGpu } from '../../src/sim/gpus.js';
import { getLink } from '../../src/sim/links.js';
import { simulate } from '../../src/sim/simulate.js';
import { chain, chainProfile, FAST_GPU, link } from './fixtures.js';

const titanx = getGpu('titanx');
const pcie3 = getLink('pcie3');

test('cDMA reads DRAM at link bandwidth x ratio while nothing else binds', () => {
  const e = engineFor(titanx, pcie3);
  const r = transferRate(e, 2.6, 0, true);
  assert.equal(r.limit, 'link');
  assert.ok(Math.abs(r.bytesPerSec - 12.8e9 * 2.6) < 1);
  // Plain vDNN: raw bytes at link rate whatever the ratio.
  assert.equal(transferRate(e, 2.6, 0, false).bytesPerSec, 12.8e9);
});

test('the DRAM limit binds when the computation leaves too little bandwidth', () => {
  const e = engineFor(titanx, pcie3);
  // Computation using all but 20 GB/s: 12.8 x 2.6 = 33 GB/s does not fit beside it.
  const r = transferRate(e, 2.6, e.dramBytesPerSec - 20e9, true);
  assert.equal(r.limit, 'dram');
  assert.ok(Math.abs(r.bytesPerSec - 20e9) < 1);
});

test('the compressor limit binds with few or slow units', () => {
  const e = engineFor(titanx, pcie3, { units: 1, unitGBs: 10 });
  const r = transferRate(e, 4, 0, true);
  assert.equal(r.limit, 'compressor');
  assert.equal(r.bytesPerSec, 10e9);
  // Default: one unit per memory partition at 32 B per clock.
  const d = engineFor(titanx, pcie3);
  assert.equal(d.units, 6);
  assert.ok(Math.abs(d.unitBytesPerSec - 32 * 1.075e9) < 1);
});

test('placement: at the DMA engine the crossbar port carries raw bytes, at the memory controllers compressed ones', () => {
  const dma = engineFor(titanx, pcie3, { placement: 'dma' });
  const mc = engineFor(titanx, pcie3, { placement: 'mc' });
  const atDma = transferRate(dma, 4, 0, true);
  assert.equal(atDma.limit, 'crossbar');
  assert.equal(atDma.bytesPerSec, 16e9); // port sized for the link's 16 GB/s peak
  assert.equal(transferRate(mc, 4, 0, true).limit, 'link');
});

test('the simulation reports which limit bound the cDMA transfers', () => {
  const base = {
    model: chain(),
    batch: 1,
    gpu: FAST_GPU,
    policy: 'all' as const,
    codec: 'zvc' as const,
    dtype: 'float32' as const,
    ratios: { kind: 'table' as const, table: { default: 8, layers: new Map() } },
    profile: chainProfile(),
  };
  assert.equal(simulate({ ...base, link: link(32768) }).cdma.binding, 'link');
  const slow = simulate({ ...base, link: link(32768), engine: { units: 1, unitGBs: 50000e-9 } });
  assert.equal(slow.cdma.binding, 'compressor');
  assert.ok(
    slow.cdma.schedule.iterationTime >
      simulate({ ...base, link: link(32768) }).cdma.schedule.iterationTime,
  );
  assert.equal(
    simulate({ ...base, link: link(32768), engine: { placement: 'dma' } }).cdma.binding,
    'crossbar',
  );
});

test('engine options are validated', () => {
  assert.throws(() => engineFor(titanx, pcie3, { units: 0 }), /units must be a positive number/);
  assert.throws(() => engineFor(titanx, pcie3, { units: 1.5 }), /integer/);
  assert.throws(() => engineFor(titanx, pcie3, { unitGBs: -1 }), /positive/);
});
