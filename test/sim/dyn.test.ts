/**
 * vDNN's own rules in the performance model: what it offloads (only layers'
 * input X), vDNN_dyn's order of configurations and its choice, the greedy
 * step, and the memory pool's per-layer workspace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeModel } from '../../src/nn/shapes.js';
import { getModel } from '../../src/nn/zoo/index.js';
import { getConvLibrary } from '../../src/sim/conv-algos.js';
import { simulateDyn, type DynConfig } from '../../src/sim/dyn.js';
import { getGpu, type GpuSpec } from '../../src/sim/gpus.js';
import { getLink } from '../../src/sim/links.js';
import { simulate } from '../../src/sim/simulate.js';

const GiB = 1024 ** 3;
const alexnet = analyzeModel(getModel('alexnet-torch'));

function config(gpu: GpuSpec, model = alexnet, batch = 128): DynConfig {
  return {
    model,
    batch,
    gpu,
    link: getLink('pcie3'),
    codec: 'zvc',
    dtype: 'float32',
    ratios: { kind: 'density', density: 0.35 },
    optimizerSlots: 0,
    library: getConvLibrary('cudnn4'),
  };
}

const withMemory = (gib: number): GpuSpec => ({ ...getGpu('titanx'), memoryBytes: gib * GiB });

test("vDNN offloads layers' input X only: not a ReLU output that feeds a concat, not a dropout mask", () => {
  const r = simulate({
    ...config(getGpu('titanx'), analyzeModel(getModel('googlenet-torch'))),
    policy: 'all',
  });
  const keys = new Set(r.offloaded.map((t) => t.key));
  assert.ok(keys.has('a:inception_3a/output'), "the next module's input X");
  assert.ok(keys.has('a:conv1/7x7_s2/relu'), "pool1's X");
  assert.ok(!keys.has('a:inception_3a/1x1/relu'), 'a branch output, read only by the concat');
  assert.ok(!keys.has('m:pool5/drop'), 'a dropout mask');
  for (const t of r.offloaded) assert.ok(t.inputX && t.kind === 'activation', t.key);
});

test('vDNN_dyn tries all(m), none(p), conv(p), all(p) in that order and keeps the fastest that fits', () => {
  const d = simulateDyn(config(getGpu('titanx')));
  assert.deepEqual(
    d.trials.map((t) => t.label),
    ['all(m)', 'none(p)', 'conv(p)', 'all(p)'],
  );
  assert.equal(d.chosen?.label, 'none(p)', 'AlexNet fits a 12 GB Titan X without offloading');
  assert.equal(d.chosen?.result.vdnn.normalized, 1);
  // Between the all(p) and conv(p) peaks, only vDNN_all fits.
  const pool = (label: string) =>
    d.trials.find((t) => t.label === label)!.result.vdnn.memory.peakBytes;
  const squeeze = simulateDyn(config(withMemory((pool('all(p)') + pool('conv(p)')) / 2 / GiB)));
  assert.equal(squeeze.chosen?.label, 'all(p)');
  assert.ok(squeeze.chosen!.result.vdnn.normalized < 1);
});

test("vDNN_dyn's greedy step runs the largest-workspace layers memory-optimal until the run fits", () => {
  const d = simulateDyn(config(getGpu('titanx')));
  const peak = (label: string) =>
    d.trials.find((t) => t.label === label)!.result.vdnn.memory.peakBytes;
  // Below all(p) but above all(m): only a mix fits.
  const gpu = withMemory((peak('all(m)') + peak('all(p)')) / 2 / GiB);
  const g = simulateDyn(config(gpu));
  assert.ok(g.chosen, 'trainable');
  assert.match(g.chosen.label, /greedy/);
  assert.ok(g.chosen.memoryOptimalLayers.length > 0);
  assert.ok(g.chosen.result.vdnn.memory.peakBytes <= gpu.memoryBytes);
  const allM = g.trials.find((t) => t.label === 'all(m)')!;
  assert.ok(g.chosen.result.vdnn.schedule.iterationTime <= allM.result.vdnn.schedule.iterationTime);
  // Not even all(m) fits: the network cannot be trained.
  const none = simulateDyn(config(withMemory((peak('all(m)') * 0.9) / GiB)));
  assert.equal(none.chosen, null);
  assert.deepEqual(
    none.trials.map((t) => t.label),
    ['all(m)'],
  );
});

test("the memory pool holds a layer's workspace only while that layer runs; the baseline one buffer for all", () => {
  const c = { ...config(getGpu('titanx')), policy: 'all' as const };
  const p = simulate({ ...c, algo: 'performance' });
  const m = simulate({ ...c, algo: 'memory' });
  const maxWs = Math.max(...p.times.map((t) => Math.max(t.forwardWorkspace, t.backwardWorkspace)));
  assert.ok(maxWs > 0);
  assert.equal(p.networkWide.workspace, maxWs);
  assert.equal(m.networkWide.workspace, 0);
  assert.equal(m.vdnn.memory.workspaceAtPeak, 0);
  assert.ok(p.vdnn.memory.activationPeakBytes >= m.vdnn.memory.activationPeakBytes);
  // The oracle runs performance-optimal whatever the vDNN run uses.
  assert.equal(m.oracle.schedule.iterationTime, p.oracle.schedule.iterationTime);
  assert.ok(m.vdnn.normalized < p.vdnn.normalized);
});
