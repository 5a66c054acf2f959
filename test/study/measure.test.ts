import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { getCodec } from '../../src/codec/registry.js';
import { TensorMeasurer, nhwcShape } from '../../src/study/measure.js';
import { InlineMeasureService, WorkerMeasureService } from '../../src/study/measure-service.js';
import { reluLikeNhwc } from '../helpers/sparse.js';

const reluLike = reluLikeNhwc;

/** Independent NHWC -> other-layout gather, element by element. */
function relayout(d: Float32Array, [n, h, w, c]: number[], to: 'nchw' | 'chwn'): Float32Array {
  const out = new Float32Array(d.length);
  let o = 0;
  if (to === 'nchw') {
    for (let i = 0; i < n; i++)
      for (let k = 0; k < c; k++)
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) out[o++] = d[((i * h + y) * w + x) * c + k];
  } else {
    for (let k = 0; k < c; k++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let i = 0; i < n; i++) out[o++] = d[((i * h + y) * w + x) * c + k];
  }
  return out;
}

const bytes = (f: Float32Array) => new Uint8Array(f.buffer, f.byteOffset, f.byteLength);

test('sizes match the codecs run on the tensor in each layout', () => {
  const shape = [4, 6, 5, 8];
  const data = reluLike(4, 6, 5, 8);
  const m = new TensorMeasurer({ zlibLevel: 6, zlibSampleImages: 64 }).measure(data, 4, [8, 6, 5]);
  const n = data.length;
  let nnz = 0;
  for (const v of data) if (v !== 0) nnz++;
  assert.equal(m.density, nnz / n);
  const zvc = (4 * n) / (4 * Math.ceil(n / 32) + 4 * nnz);
  for (const l of ['nchw', 'nhwc', 'chwn'] as const) assert.equal(m.ratios.zvc[l], zvc);
  const rle = getCodec('rle');
  const layouts = {
    nhwc: data,
    nchw: relayout(data, shape, 'nchw'),
    chwn: relayout(data, shape, 'chwn'),
  };
  for (const l of ['nchw', 'nhwc', 'chwn'] as const) {
    assert.equal(m.ratios.rle[l], (4 * n) / rle.encode(bytes(layouts[l]), 4).length, `rle ${l}`);
    assert.equal(
      m.ratios.zlib[l],
      (4 * n) / deflateRawSync(bytes(layouts[l]), { level: 6 }).length,
      `zlib ${l}`,
    );
  }
  // The layouts really differ for RLE on this tensor (otherwise the test proves little).
  assert.notEqual(m.ratios.rle.nchw, m.ratios.rle.nhwc);
});

test('zlib compresses the first images of the batch, in each layout', () => {
  const data = reluLike(4, 6, 5, 8, 3);
  const m = new TensorMeasurer({ zlibLevel: 1, zlibSampleImages: 2 }).measure(data, 4, [8, 6, 5]);
  const sub = data.slice(0, 2 * 6 * 5 * 8);
  const layouts = {
    nhwc: sub,
    nchw: relayout(sub, [2, 6, 5, 8], 'nchw'),
    chwn: relayout(sub, [2, 6, 5, 8], 'chwn'),
  };
  for (const l of ['nchw', 'nhwc', 'chwn'] as const) {
    const expected = bytes(sub).length / deflateRawSync(bytes(layouts[l]), { level: 1 }).length;
    assert.equal(m.ratios.zlib[l], expected, l);
  }
  // RLE still runs on the whole batch.
  const whole = new TensorMeasurer({ zlibLevel: 1, zlibSampleImages: 4 }).measure(
    data,
    4,
    [8, 6, 5],
  );
  assert.equal(m.ratios.rle.chwn, whole.ratios.rle.chwn);
  assert.notEqual(m.ratios.zlib.chwn, whole.ratios.zlib.chwn);
  assert.throws(() => new TensorMeasurer({ zlibLevel: 1, zlibSampleImages: 0 }), RangeError);
});

test('zero-run and block descriptors follow the layout; channel spread does not', () => {
  // 2 images of 1x2 pixels, 32 channels; channel k is non-zero only for k < 16.
  const [n, h, w, c] = [2, 1, 2, 32];
  const data = new Float32Array(n * h * w * c);
  for (let p = 0; p < n * h * w; p++) for (let k = 0; k < 16; k++) data[p * c + k] = 1 + k;
  const m = new TensorMeasurer({ zlibLevel: 6, zlibSampleImages: 8 }).measure(data, n, [c, h, w]);
  assert.equal(m.density, 0.5);
  // NHWC: each pixel is 16 non-zeros then 16 zeros: 4 runs of 16; no all-zero 32-block.
  assert.equal(m.zeroRunMean.nhwc, 16);
  assert.equal(m.zeroBlockFraction.nhwc, 0);
  // NCHW: per image 16 channels x 2 pixels non-zero, then 32 zeros: 2 runs of 32, 2 of 4 blocks all zero.
  assert.equal(m.zeroRunMean.nchw, 32);
  assert.equal(m.zeroBlockFraction.nchw, 0.5);
  // CHWN: channels 16..31 are contiguous at the end: one run of 64.
  assert.equal(m.zeroRunMean.chwn, 64);
  assert.equal(m.zeroBlockFraction.chwn, 0.5);
  // Densities per channel: 16 at 1, 16 at 0.
  assert.equal(m.channelDensityStd, 0.5);
  assert.equal(m.deadChannelFraction, 0.5);
});

test('flat [N, C] tensors are measured as [N, 1, 1, C]', () => {
  assert.deepEqual(nhwcShape(3, [10]), [3, 1, 1, 10]);
  assert.deepEqual(nhwcShape(3, [10, 4, 5]), [3, 4, 5, 10]);
  assert.throws(() => nhwcShape(3, [2, 2]), RangeError);
  const data = reluLike(3, 1, 1, 40);
  const m = new TensorMeasurer({ zlibLevel: 6, zlibSampleImages: 64 }).measure(data, 3, [40]);
  assert.equal(m.ratios.rle.nchw, m.ratios.rle.nhwc);
  assert.throws(
    () => new TensorMeasurer({ zlibLevel: 6, zlibSampleImages: 64 }).measure(data, 4, [40]),
    RangeError,
  );
});

test('the worker thread measures exactly what the inline measurer does, maps included', async () => {
  const config = { zlibLevel: 6, zlibSampleImages: 2 };
  const worker = await WorkerMeasureService.start(config);
  const inline = new InlineMeasureService(config);
  try {
    const jobs = [
      { batch: 4, shape: [8, 6, 5], data: reluLike(4, 6, 5, 8, 5), mapChannels: 4 },
      { batch: 3, shape: [40], data: reluLike(3, 1, 1, 40, 6), mapChannels: 0 },
    ];
    for (const job of jobs) {
      const a = await inline.measure({ ...job, data: job.data.slice() });
      const b = await worker.measure({ ...job, data: job.data.slice() });
      assert.deepEqual(b.measurement, a.measurement);
      assert.equal(b.map?.png.equals(a.map?.png as Buffer) ?? a.map === undefined, true);
    }
    await assert.rejects(
      worker.measure({ batch: 2, shape: [8, 6, 5], data: new Float32Array(5), mapChannels: 0 }),
      /measuring an activation failed/,
    );
    assert.ok(worker.busyMs > 0);
  } finally {
    await worker.close();
  }
  await assert.rejects(
    worker.measure({ batch: 1, shape: [4], data: new Float32Array(4), mapChannels: 0 }),
    /closed/,
  );
});
