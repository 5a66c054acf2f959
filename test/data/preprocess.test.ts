/**
 * Preprocessing choices: the input range (linear lo,hi or per-channel
 * mean/std), bilinear resizing with half-pixel centres or aligned corners
 * (against tf.image.resizeBilinear), scaling before or after resizing.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/nn/backend.js';
import {
  DEFAULT_PREPROCESSING,
  describePreprocessing,
  parseInputRange,
  parseResizeMode,
  parseScaleOrder,
  preprocessDataset,
} from '../../src/data/preprocess.js';
import type { RawDataset } from '../../src/data/raw.js';
import { fillUniform, streamKey } from '../../src/random.js';

before(() => initBackend('cpu'));

function raw(c: number, h: number, w: number, count = 3): RawDataset {
  const f = new Float32Array(count * c * h * w);
  fillUniform(f, streamKey(1, 2), 0, 256);
  const pixels = Uint8Array.from(f, (v) => Math.min(255, Math.floor(v)));
  const labels = new Uint8Array(count).map((_, i) => i % 2);
  return {
    name: 't',
    shape: [c, h, w],
    numClasses: 2,
    train: { count, pixels, labels },
    test: { count: 1, pixels: pixels.slice(0, c * h * w), labels: labels.slice(0, 1) },
  };
}

test('a linear range maps 0..255 onto [lo, hi]', () => {
  const r = raw(3, 4, 5);
  for (const [lo, hi] of [
    [0, 1],
    [-1, 1],
  ] as const) {
    const d = preprocessDataset(r, [3, 4, 5], { ...DEFAULT_PREPROCESSING, range: [lo, hi] });
    r.train.pixels.forEach((v, i) => {
      assert.ok(Math.abs(d.train.images[i] - (lo + ((hi - lo) * v) / 255)) < 1e-6);
    });
  }
});

test('mean-std normalises per channel with the training split', () => {
  const r = raw(3, 4, 5);
  const d = preprocessDataset(r, [3, 4, 5], DEFAULT_PREPROCESSING);
  for (let k = 0; k < 3; k++) {
    const vals = Array.from(d.train.images).filter((_, i) => i % 3 === k);
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length);
    assert.ok(Math.abs(mean) < 1e-5 && Math.abs(sd - 1) < 1e-4, `channel ${k}: ${mean} ${sd}`);
  }
});

for (const resize of ['half-pixel', 'align-corners'] as const) {
  test(`scaling before resizing equals tf.image.resizeBilinear (${resize}) on the scaled image`, () => {
    const r = raw(3, 7, 9);
    const d = preprocessDataset(r, [3, 15, 12], { range: [0, 1], resize, scale: 'before-resize' });
    const x = tf.div(
      tf.cast(tf.tensor4d(r.train.pixels, [3, 7, 9, 3], 'int32'), 'float32'),
      255,
    ) as tf.Tensor4D;
    const ref = tf.image.resizeBilinear(
      x,
      [15, 12],
      resize === 'align-corners',
      resize === 'half-pixel',
    );
    const e = tf
      .max(tf.abs(tf.sub(ref, tf.tensor4d(d.train.images, [3, 15, 12, 3]))))
      .dataSync()[0];
    assert.ok(e < 1e-6, `max error ${e}`);
  });
  test(`scaling after resizing rounds the resized bytes (${resize}), grey becoming RGB`, () => {
    const r = raw(1, 7, 9);
    const d = preprocessDataset(r, [3, 15, 12], { range: [0, 1], resize, scale: 'after-resize' });
    const x = tf.cast(tf.tensor4d(r.train.pixels, [3, 7, 9, 1], 'int32'), 'float32') as tf.Tensor4D;
    const ref = tf.image
      .resizeBilinear(x, [15, 12], resize === 'align-corners', resize === 'half-pixel')
      .dataSync();
    for (let i = 0; i < ref.length; i++) {
      for (let k = 0; k < 3; k++) {
        const v = d.train.images[3 * i + k] * 255;
        assert.ok(Math.abs(v - Math.round(v)) < 1e-3, 'a whole byte value');
        assert.ok(Math.abs(v - ref[i]) <= 0.5 + 1e-3, `${v} is not ${ref[i]} rounded`);
      }
    }
  });
}

test('the two orders differ by the rounding only', () => {
  const r = raw(3, 28, 28);
  const a = preprocessDataset(r, [3, 64, 64], {
    range: [0, 1],
    resize: 'align-corners',
    scale: 'before-resize',
  });
  const b = preprocessDataset(r, [3, 64, 64], {
    range: [0, 1],
    resize: 'align-corners',
    scale: 'after-resize',
  });
  let worst = 0;
  a.train.images.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b.train.images[i]))));
  assert.ok(worst > 0 && worst <= 0.5 / 255 + 1e-6, `worst ${worst}`);
});

test('options parse or say what is wrong', () => {
  assert.deepEqual(parseInputRange('-1,1'), [-1, 1]);
  assert.deepEqual(parseInputRange('0,1'), [0, 1]);
  assert.equal(parseInputRange('mean-std'), 'mean-std');
  assert.throws(
    () => parseInputRange('0'),
    /--input-range must be mean-std or two different numbers lo,hi/,
  );
  assert.throws(() => parseInputRange('1,1'), /two different numbers/);
  assert.throws(() => parseInputRange('a,b'), /two different numbers/);
  assert.equal(parseResizeMode('align-corners'), 'align-corners');
  assert.throws(
    () => parseResizeMode('nearest'),
    /--resize must be one of half-pixel, align-corners/,
  );
  assert.equal(parseScaleOrder('before-resize'), 'before-resize');
  assert.throws(
    () => parseScaleOrder('first'),
    /--scale must be one of after-resize, before-resize/,
  );
  assert.equal(
    describePreprocessing({ range: [-1, 1], resize: 'align-corners', scale: 'before-resize' }),
    'range -1,1, align-corners bilinear resize, scaled before resizing',
  );
});
