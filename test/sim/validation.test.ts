/**
 * The model against published numbers. Tolerances are reasoned in
 * docs/SIMULATOR.md ("Validation"); the numbers quoted are the papers'.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeModel } from '../../src/nn/shapes.js';
import { getModel } from '../../src/nn/zoo/index.js';
import { getGpu } from '../../src/sim/gpus.js';
import { getLink } from '../../src/sim/links.js';
import type { RatioSource } from '../../src/sim/ratio-source.js';
import type { Policy } from '../../src/sim/schedule.js';
import { simulate, type SimResult } from '../../src/sim/simulate.js';

const GiB = 1024 ** 3;
const analyses = new Map<string, ReturnType<typeof analyzeModel>>();
const model = (name: string) => {
  if (!analyses.has(name)) analyses.set(name, analyzeModel(getModel(name)));
  return analyses.get(name)!;
};
/** Every offloaded tensor at the cDMA paper's 2.6x average ratio. */
const uniform26: RatioSource = { kind: 'table', table: { default: 2.6, layers: new Map() } };

function sim(
  name: string,
  batch: number,
  gpu: string,
  policy: Policy = 'all',
  ratios = uniform26,
): SimResult {
  return simulate({
    model: model(name),
    batch,
    gpu: getGpu(gpu),
    link: getLink('pcie3'),
    policy,
    codec: 'zvc',
    dtype: 'float32',
    ratios,
  });
}

test('vDNN paper: VGG-16 at batch 256 does not fit a 12 GB Titan X without vDNN and fits with vDNN_all', () => {
  const r = sim('vgg16', 256, 'titanx');
  assert.equal(r.gpu.memoryBytes, 12 * GiB);
  assert.equal(r.oracle.fits, false);
  assert.equal(r.vdnn.fits, true);
  assert.ok(r.vdnn.memory.peakBytes < r.oracle.memory.peakBytes);
  // The paper's 28 GB is a framework's network-wide allocation; ours omits the
  // convolution workspace and allocator slack, so it may only fall short: -30% .. +10%.
  const ratio = r.networkWideBytes / (28 * GiB);
  assert.ok(
    ratio >= 0.7 && ratio <= 1.1,
    `network-wide ${(r.networkWideBytes / GiB).toFixed(1)} GiB vs 28`,
  );
});

test('vDNN paper: the fastest policy that fits VGG-16 (256) on Titan X loses about 18% (within 5 points)', () => {
  // vDNN_dyn picks the fastest configuration that fits; conv offloads less than all.
  const candidates = (['none', 'conv', 'all'] as const).map((p) => sim('vgg16', 256, 'titanx', p));
  const fitting = candidates.filter((r) => r.vdnn.fits);
  assert.ok(fitting.length > 0);
  const best = fitting.reduce((a, b) => (a.vdnn.normalized >= b.vdnn.normalized ? a : b));
  const loss = 1 - best.vdnn.normalized;
  assert.ok(
    Math.abs(loss - 0.18) <= 0.05,
    `loss ${(loss * 100).toFixed(1)}% with policy ${best.policy}`,
  );
});

test("vDNN_all loses performance on every network of the vDNN paper, on average below the paper's memory-optimal 58%", () => {
  const losses = (
    [
      ['alexnet', 128],
      ['overfeat', 128],
      ['googlenet', 128],
      ['vgg16', 256],
    ] as const
  ).map(([m, b]) => 1 - sim(m, b, 'titanx').vdnn.normalized);
  for (const l of losses) assert.ok(l > 0);
  const avg = losses.reduce((a, b) => a + b, 0) / losses.length;
  assert.ok(avg > 0.1 && avg < 0.58, `average loss ${(avg * 100).toFixed(1)}%`);
});

const CDMA_NETS = ['alexnet', 'overfeat', 'nin', 'vgg16', 'squeezenet', 'googlenet'];

function cdmaAverages(gpu: string): {
  improvement: number;
  vdnnLoss: number;
  results: SimResult[];
} {
  const results = CDMA_NETS.map((m) => sim(m, 128, gpu));
  const mean = (f: (r: SimResult) => number) =>
    results.reduce((a, r) => a + f(r), 0) / results.length;
  return {
    improvement: mean((r) => r.improvement),
    vdnnLoss: mean((r) => 1 - r.vdnn.normalized),
    results,
  };
}

test('cDMA paper (arXiv): at 2.6x on PCIe gen3 a Titan X gains +32% over vDNN on average (model in [22%, 44%])', () => {
  const { improvement, vdnnLoss, results } = cdmaAverages('titanx');
  assert.ok(
    improvement >= 0.22 && improvement <= 0.44,
    `average improvement ${(improvement * 100).toFixed(1)}%`,
  );
  // vDNN's own overhead, reported as 31% on average: the same inputs move it less.
  assert.ok(vdnnLoss >= 0.24 && vdnnLoss <= 0.4, `vDNN loss ${(vdnnLoss * 100).toFixed(1)}%`);
  for (const r of results) {
    assert.ok(r.improvement >= 0, r.model);
    assert.ok(r.cdma.normalized <= 1 + 1e-12, r.model);
    assert.ok(Math.abs(r.averageRatio - 2.6) < 1e-9);
    assert.equal(r.cdma.binding, 'link');
  }
});

test('cDMA paper (HPCA): on the faster Titan Xp the gain is larger, +53% on average (model in [41%, 70%])', () => {
  const xp = cdmaAverages('titanxp').improvement;
  const x = cdmaAverages('titanx').improvement;
  assert.ok(xp > x);
  assert.ok(xp >= 0.41 && xp <= 0.7, `average improvement ${(xp * 100).toFixed(1)}%`);
});

test('beyond the paper: faster links shrink the gain, 16-bit activations and faster GPUs grow it', () => {
  const run = (gpu: string, link: string, dtype: 'float32' | 'bfloat16') =>
    simulate({
      model: model('alexnet'),
      batch: 128,
      gpu: getGpu(gpu),
      link: getLink(link),
      policy: 'all',
      codec: 'zvc',
      dtype,
      ratios: { kind: 'density', density: 0.35 },
    }).improvement;
  assert.ok(run('h100-sxm', 'nvlink-c2c', 'float32') < run('h100-sxm', 'pcie5', 'float32'));
  assert.ok(run('h100-sxm', 'pcie5', 'bfloat16') > run('h100-sxm', 'pcie5', 'float32'));
  assert.ok(run('h100-sxm', 'pcie5', 'float32') > run('v100', 'pcie5', 'float32'));
});
