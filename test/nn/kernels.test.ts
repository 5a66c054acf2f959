/**
 * cdma's wasm kernels against the cpu backend's kernels on small random
 * shapes (strides, paddings, rectangular filters, transposes), to a tight
 * tolerance; and autograd through the wasm backend (which reaches them).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers registers tfjs's gradients: autograd is the reference for the hand-written backward passes.
import '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/nn/backend.js';
import { conv2DBackpropFilterConfig } from '../../src/nn/kernels/Conv2DBackpropFilter.js';
import { fastKernelsRegistered, FAST_KERNELS } from '../../src/nn/kernels/register.js';
import { rand } from './layer-helpers.js';

type Pad = [[number, number], [number, number], [number, number], [number, number]];
const pad4 = (t: number, b: number, l: number, r: number): Pad => [
  [0, 0],
  [t, b],
  [l, r],
  [0, 0],
];

interface Data {
  values: Float32Array;
  shape: number[];
}

/** Runs f on both backends with the same inputs; returns [wasm, cpu] outputs. */
async function onBoth(inputs: Data[], f: (ts: tf.Tensor[]) => tf.Tensor): Promise<[Data, Data]> {
  const out: Data[] = [];
  for (const b of ['wasm', 'cpu'] as const) {
    await initBackend(b);
    const ts = inputs.map((d) => tf.tensor(d.values, d.shape));
    const y = f(ts);
    out.push({ values: y.dataSync() as Float32Array, shape: y.shape });
    tf.dispose([...ts, y]);
  }
  await initBackend('wasm');
  return [out[0], out[1]];
}

function data(shape: number[], seed: number): Data {
  const t = rand(shape, seed);
  const d = { values: t.dataSync() as Float32Array, shape };
  t.dispose();
  return d;
}

function assertClose(a: Data, b: Data, what: string): void {
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  let d = 0;
  let m = 1;
  for (let i = 0; i < a.values.length; i++) {
    d = Math.max(d, Math.abs(a.values[i] - b.values[i]));
    m = Math.max(m, Math.abs(b.values[i]));
  }
  assert.ok(d / m < 1e-5, `${what}: max difference ${d} (scale ${m})`);
}

/** x shape NHWC, filter [kh, kw, cin, cout], strides, padding. */
type Shape4 = [number, number, number, number];
const CONV_CASES: [Shape4, Shape4, [number, number], Pad | 'same' | 'valid'][] = [
  [[2, 6, 6, 3], [3, 3, 3, 4], [1, 1], pad4(1, 1, 1, 1)],
  [[2, 7, 9, 2], [3, 3, 2, 5], [2, 2], pad4(1, 1, 1, 1)],
  [[1, 10, 11, 3], [3, 3, 3, 2], [2, 2], 'valid'],
  [[2, 9, 8, 2], [5, 4, 2, 3], [3, 2], pad4(2, 1, 0, 3)],
  [[1, 15, 15, 2], [11, 11, 2, 3], [4, 4], pad4(2, 2, 2, 2)],
  [[2, 8, 8, 3], [1, 1, 3, 4], [2, 2], 'valid'],
  [[1, 6, 7, 2], [2, 2, 2, 2], [3, 3], pad4(2, 2, 2, 1)],
  [[2, 5, 6, 3], [3, 2, 3, 2], [1, 2], 'same'],
  [[1, 5, 5, 1], [3, 3, 1, 1], [1, 1], pad4(0, 0, 0, 0)],
  [[37, 5, 5, 2], [3, 3, 2, 3], [2, 2], pad4(1, 1, 1, 1)],
];

describe('fast wasm kernels match the cpu backend', () => {
  test('they are registered for wasm, once', async () => {
    await initBackend('wasm');
    await initBackend('wasm');
    assert.ok(fastKernelsRegistered());
    for (const k of FAST_KERNELS) {
      const cfg = tf.getKernel(k, 'wasm') as (tf.KernelConfig & { origin?: string }) | undefined;
      assert.equal(cfg?.origin, 'cdma', k);
    }
  });

  for (const [xs, fs, strides, pad] of CONV_CASES) {
    const what = `x ${xs} filter ${fs} stride ${strides} pad ${JSON.stringify(pad)}`;
    test(`Conv2DBackpropInput and Conv2DBackpropFilter: ${what}`, async () => {
      await initBackend('cpu');
      const outShape = tf.conv2d(
        tf.zeros(xs) as tf.Tensor4D,
        tf.zeros(fs) as tf.Tensor4D,
        strides,
        pad,
      ).shape;
      const x = data(xs, 1);
      const f = data(fs, 2);
      const dy = data(outShape, 3);
      const [dxW, dxC] = await onBoth(
        [dy, f],
        ([dyT, fT]) =>
          tf
            .engine()
            .runKernel(
              'Conv2DBackpropInput',
              { dy: dyT, filter: fT },
              { strides, pad, dataFormat: 'NHWC', inputShape: xs },
            ) as tf.Tensor,
      );
      assertClose(dxW, dxC, 'dx');
      const [dwW, dwC] = await onBoth(
        [x, dy],
        ([xT, dyT]) =>
          tf
            .engine()
            .runKernel(
              'Conv2DBackpropFilter',
              { x: xT, dy: dyT },
              { strides, pad, dataFormat: 'NHWC', filterShape: fs },
            ) as tf.Tensor,
      );
      assertClose(dwW, dwC, 'dw');
    });
  }

  test('Conv2DBackpropFilter split into batch chunks (the last one short) sums them right', async () => {
    const xs: Shape4 = [37, 5, 5, 2];
    const fs: Shape4 = [3, 3, 2, 3];
    const attrs = { strides: [2, 2], pad: pad4(1, 1, 1, 1), dataFormat: 'NHWC', filterShape: fs };
    const x = data(xs, 11);
    const dy = data([37, 3, 3, 3], 12);
    const chunked = conv2DBackpropFilterConfig(
      (name) => tf.getKernel(name, 'wasm')!.kernelFunc,
      16,
      0,
    );
    const [w, c] = await onBoth([x, dy], ([xt, dyt]) =>
      tf.getBackend() === 'wasm'
        ? tf.engine().makeTensorFromTensorInfo(
            chunked.kernelFunc({
              inputs: { x: xt, dy: dyt },
              backend: tf.backend(),
              attrs: attrs as unknown as tf.NamedAttrMap,
            }) as tf.TensorInfo,
          )
        : (tf
            .engine()
            .runKernel('Conv2DBackpropFilter', { x: xt, dy: dyt }, attrs as never) as tf.Tensor),
    );
    assertClose(w, c, 'dw');
  });

  const MATMUL: [number[], number[], boolean, boolean][] = [
    [[3, 4], [4, 5], false, false],
    [[4, 3], [4, 5], true, false],
    [[3, 4], [5, 4], false, true],
    [[4, 3], [5, 4], true, true],
    [[2, 6, 3], [2, 6, 4], true, false],
    [[2, 3, 6], [2, 4, 6], false, true],
    [[1, 7, 2], [3, 5, 7], true, true],
  ];
  for (const [as, bs, ta, tb] of MATMUL) {
    test(`BatchMatMul a ${as}${ta ? 'ᵀ' : ''} b ${bs}${tb ? 'ᵀ' : ''}`, async () => {
      const [w, c] = await onBoth([data(as, 4), data(bs, 5)], ([a, b]) => tf.matMul(a, b, ta, tb));
      assertClose(w, c, 'product');
    });
  }

  const SLICES: [number[], number[], number[]][] = [
    [[10], [3], [4]],
    [
      [4, 5],
      [1, 0],
      [2, 5],
    ],
    [
      [4, 5],
      [0, 2],
      [4, 2],
    ],
    [
      [2, 3, 4, 5],
      [0, 0, 0, 2],
      [2, 3, 4, 3],
    ],
    [
      [2, 3, 4, 5],
      [1, 1, 0, 0],
      [1, 2, 4, 5],
    ],
    [
      [2, 3, 4, 5],
      [0, 1, 2, 1],
      [-1, -1, 2, 4],
    ],
    [
      [2, 3, 2, 3, 2],
      [1, 0, 1, 1, 0],
      [1, 3, 1, 2, 2],
    ],
    [
      [3, 4],
      [1, 1],
      [0, 2],
    ],
  ];
  for (const [shape, begin, size] of SLICES) {
    test(`Slice ${shape} from ${begin} size ${size}`, async () => {
      const [w, c] = await onBoth([data(shape, 6)], ([x]) => tf.slice(x, begin, size));
      assertClose(w, c, 'slice');
    });
  }

  const POOLS: [Shape4, [number, number], [number, number], Pad][] = [
    [[2, 6, 6, 3], [3, 3], [2, 2], pad4(0, 1, 0, 1)],
    [[1, 7, 5, 4], [2, 3], [1, 2], pad4(1, 0, 1, 1)],
    [[2, 8, 8, 2], [2, 2], [2, 2], pad4(0, 0, 0, 0)],
  ];
  for (const [xs, filterSize, strides, pad] of POOLS) {
    test(`MaxPoolGrad x ${xs} window ${filterSize} stride ${strides}, with ties`, async () => {
      // ReLU'd data: many windows are all zeros, so the first maximum must win.
      const x = data(xs, 9);
      x.values.forEach((v, i) => (x.values[i] = Math.max(0, v - 0.3)));
      await initBackend('cpu');
      const outShape = tf.maxPool(tf.zeros(xs) as tf.Tensor4D, filterSize, strides, pad).shape;
      const dy = data(outShape, 10);
      const [w, c] = await onBoth([x, dy], ([xt, dyt]) => {
        const y = tf.maxPool(xt as tf.Tensor4D, filterSize, strides, pad);
        return tf
          .engine()
          .runKernel(
            'MaxPoolGrad',
            { dy: dyt, input: xt, output: y },
            { filterSize, strides, pad },
          ) as tf.Tensor;
      });
      assertClose(w, c, 'dx');
    });
  }

  test('autograd of a strided, grouped-by-slices convolution on wasm matches cpu', async () => {
    const x = data([2, 9, 9, 4], 7);
    const f = data([3, 3, 2, 6], 8);
    const loss = (xt: tf.Tensor, ft: tf.Tensor) => {
      const ys = [0, 1].map((g) =>
        tf.conv2d(
          tf.slice(xt, [0, 0, 0, 2 * g], [-1, -1, -1, 2]) as tf.Tensor4D,
          tf.slice(ft, [0, 0, 0, 3 * g], [-1, -1, -1, 3]) as tf.Tensor4D,
          2,
          pad4(1, 0, 1, 0),
        ),
      );
      return tf.sum(tf.square(tf.concat(ys, 3)));
    };
    for (const which of [0, 1]) {
      const [w, c] = await onBoth([x, f], (ts) => tf.grads(loss)(ts)[which]);
      assertClose(w, c, which === 0 ? 'dx' : 'dw');
    }
  });
});
