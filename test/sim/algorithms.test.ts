/**
 * Convolution algorithms (src/sim/conv-algos.ts) and their times in the
 * roofline: which algorithm can run where, what it costs, the memory- and
 * performance-optimal choices, and the whole-network times against the
 * measurements the efficiencies come from (soumith/convnet-benchmarks on a
 * Titan X, Torch with cuDNN R2 and R4).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeModel } from '../../src/nn/shapes.js';
import { ModelBuilder } from '../../src/nn/zoo/builder.js';
import { getModel } from '../../src/nn/zoo/index.js';
import {
  CONV_ALGOS,
  convAlgoCosts,
  convGeometry,
  directFlops,
  getConvLibrary,
  SPECTRUM_TRANSFERS,
  WINOGRAD_REDUCTION,
  type ConvGeometry,
} from '../../src/sim/conv-algos.js';
import { getGpu } from '../../src/sim/gpus.js';
import { layerTimes } from '../../src/sim/roofline.js';

const titanx = getGpu('titanx');
const cudnn4 = getConvLibrary('cudnn4');
const cudnn5 = getConvLibrary('cudnn5');

const geom = (o: Partial<ConvGeometry>): ConvGeometry => ({
  n: 128,
  groups: 1,
  c: 64,
  k: 192,
  h: 27,
  w: 27,
  r: 5,
  s: 5,
  p: 27,
  q: 27,
  strideH: 1,
  strideW: 1,
  padH: 4,
  padW: 4,
  ...o,
});

test('implicit GEMM runs anywhere with no workspace; FFT only at stride 1 and at most 256 padded', () => {
  const g = geom({});
  const costs = convAlgoCosts(g, CONV_ALGOS);
  const by = new Map(costs.map((c) => [c.algo, c]));
  assert.deepEqual(by.get('implicit-gemm'), {
    algo: 'implicit-gemm',
    flops: directFlops(g),
    extraBytes: 0,
    workspaceBytes: 0,
  });
  assert.equal(directFlops(g), 2 * 128 * 192 * 64 * 25 * 27 * 27);
  // 27 + 4 = 31 -> a 32x32 FFT, 32 x 17 bins of 8 bytes for every input, filter and output plane.
  const planes = 128 * 64 + 192 * 64 + 128 * 192;
  assert.equal(by.get('fft')!.workspaceBytes, planes * 32 * 17 * 8);
  assert.equal(by.get('fft')!.extraBytes, SPECTRUM_TRANSFERS * planes * 32 * 17 * 8);
  assert.ok(
    by.get('fft')!.flops < directFlops(g) / 4,
    'a 5x5 filter: FFT does far less arithmetic',
  );
  assert.ok(!by.has('winograd'), 'Winograd is for 3x3 filters');
  const strided = convAlgoCosts(geom({ strideH: 4, strideW: 4, r: 11, s: 11 }), CONV_ALGOS);
  assert.deepEqual(
    strided.map((c) => c.algo),
    ['implicit-gemm', 'gemm'],
  );
  const big = convAlgoCosts(geom({ h: 300, w: 300, p: 300, q: 300 }), CONV_ALGOS);
  assert.ok(!big.some((c) => c.algo === 'fft'), 'cuDNN 4 FFT: padded input above 256');
  assert.ok(big.some((c) => c.algo === 'fft-tiling'));
});

test('Winograd F(2x2,3x3) does 2.25x fewer multiplications and only cuDNN 5 offers it', () => {
  const g = geom({ r: 3, s: 3, padH: 2, padW: 2 });
  const w = convAlgoCosts(g, CONV_ALGOS).find((c) => c.algo === 'winograd')!;
  assert.equal(w.flops * WINOGRAD_REDUCTION, directFlops(g));
  assert.equal(w.workspaceBytes, 0);
  assert.ok(!cudnn4.algorithms.includes('winograd'));
  assert.ok(cudnn5.algorithms.includes('winograd'));
});

test('grouped convolutions count per group', () => {
  const a = analyzeModel(getModel('alexnet'));
  const conv2 = a.layers.find((l) => l.spec.name === 'conv2')!;
  const g = convGeometry(conv2, 1)!;
  assert.deepEqual([g.groups, g.c, g.k, g.p], [2, 48, 128, 27]);
  assert.equal(directFlops(g), conv2.forwardFlops - 256 * 27 * 27, 'the analysis adds the bias');
});

test('memory-optimal runs implicit GEMM with no workspace; performance-optimal is never slower', () => {
  const a = analyzeModel(getModel('alexnet-torch'));
  const m = layerTimes({ analysis: a, batch: 128, gpu: titanx, elementBytes: 4, algo: 'memory' });
  const p = layerTimes({ analysis: a, batch: 128, gpu: titanx, elementBytes: 4 });
  for (const t of m) {
    assert.equal(t.forwardWorkspace + t.backwardWorkspace, 0, t.name);
    if (t.algos) {
      assert.equal(t.algos.forward, 'implicit-gemm');
      assert.equal(t.algos.backwardFilter, 'implicit-gemm');
    }
  }
  p.forEach((t, i) => {
    assert.ok(t.forward <= m[i].forward + 1e-15, t.name);
    assert.ok(t.backward <= m[i].backward + 1e-15, t.name);
  });
  const conv1 = p.find((t) => t.name === 'conv1')!;
  assert.equal(conv1.algos!.backwardData, null, "the image's gradient is not computed");
  assert.equal(conv1.algos!.forward, 'gemm', 'stride 4: no FFT');
  const conv2 = p.find((t) => t.name === 'conv2')!;
  assert.equal(conv2.algos!.forward, 'fft');
  assert.ok(conv2.forwardWorkspace > 100e6, 'FFT spectra take workspace');
  // vDNN_dyn's greedy step: one layer back to memory-optimal.
  const one = layerTimes({
    analysis: a,
    batch: 128,
    gpu: titanx,
    elementBytes: 4,
    memoryOptimal: new Set([conv2.index]),
  });
  assert.equal(one[conv2.index].algos!.forward, 'implicit-gemm');
  assert.equal(one[conv2.index].forwardWorkspace, 0);
  assert.equal(one[conv1.index].algos!.forward, 'gemm');
});

/** VGG's configuration A (convnet-benchmarks' OxfordNet Model-A): 8 conv 3x3 + 3 fully connected. */
function vggA() {
  const b = new ModelBuilder([3, 224, 224]);
  let x = 'data';
  let i = 0;
  for (const block of [[64], [128], [256, 256], [512, 512], [512, 512]]) {
    for (const width of block) x = b.convRelu(`conv${i++}`, x, width, 3, { pad: 1 });
    x = b.maxpool(`pool${i}`, x, 2, 2);
  }
  x = b.relu('fc6/relu', b.dense('fc6', b.flatten('flatten', x), 4096));
  x = b.relu('fc7/relu', b.dense('fc7', x, 4096));
  return b.finish(b.dense('fc8', x, 1000), { name: 'vgg-a', description: '', numClasses: 1000 });
}

test('whole-network times against cuDNN R2 (implicit GEMM) and R4 (auto-tuned) on a Titan X', () => {
  // soumith/convnet-benchmarks, torch7/imagenet_winners/output.log (R4, 2016-02-28) and the
  // cuDNN R2 rows of its README; forward + backward, ms per iteration.
  const nets = [
    { spec: getModel('alexnet-torch'), batch: 128, r2: 233, r4: 81 },
    { spec: getModel('overfeat'), batch: 128, r2: 798, r4: 268.5 },
    { spec: vggA(), batch: 64, r2: 1078, r4: 529 },
    { spec: getModel('googlenet-torch'), batch: 128, r2: 591, r4: 471 },
  ];
  const total = (spec: ReturnType<typeof vggA>, batch: number, algo: 'memory' | 'performance') =>
    layerTimes({
      analysis: analyzeModel(spec),
      batch,
      gpu: titanx,
      elementBytes: 4,
      algo,
      library: cudnn4,
    }).reduce((s, t) => s + t.forward + t.backward, 0) * 1e3;
  for (const n of nets) {
    const m = total(n.spec, n.batch, 'memory');
    const p = total(n.spec, n.batch, 'performance');
    assert.ok(
      Math.abs(m / n.r2 - 1) <= 0.15,
      `${n.spec.name} implicit GEMM ${m.toFixed(0)} vs R2 ${n.r2} ms`,
    );
    // GoogLeNet: cuDNN R4 ran it at 2.6 TFLOP/s, below the tuned GEMM rate the others imply.
    const band = n.spec.name === 'googlenet-torch' ? 0.3 : 0.17;
    assert.ok(
      Math.abs(p / n.r4 - 1) <= band,
      `${n.spec.name} tuned ${p.toFixed(0)} vs R4 ${n.r4} ms`,
    );
  }
});
