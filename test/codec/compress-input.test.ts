/**
 * What compress and the size functions take: TensorFlow.js tensors (and any
 * object with dtype, shape and dataSync), typed arrays with their dtype, and
 * only the options they know.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  compress,
  compressedSize,
  compressInto,
  compressionRatio,
  compressStream,
  decompress,
  density,
  maxCompressedSize,
} from '../../src/codec/index.js';

await tf.setBackend('cpu');

test('compress takes a tf.Tensor: its values, dtype and shape', () => {
  const values = Float32Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => (i % 4 === 1 ? i - 60 : 0));
  const x = tf.tensor4d(values, [2, 3, 4, 5]);
  const back = decompress(compress(x));
  assert.equal(back.dtype, 'float32');
  assert.deepEqual(back.shape, [2, 3, 4, 5]);
  assert.deepEqual(back.data, values);
  // options still apply: codec, layout, an explicit shape of the same size
  const nhwc = decompress(compress(x, { codec: 'rle', layout: 'nchw', codecLayout: 'nhwc' }));
  assert.deepEqual(nhwc.data, values);
  assert.equal(nhwc.layout, 'nchw');
  assert.deepEqual(decompress(compress(x, { shape: [120] })).shape, [120]);
  const out = new Uint8Array(maxCompressedSize(x));
  const n = compressInto(x, {}, out);
  assert.deepEqual(decompress(out.subarray(0, n)).data, values);
  x.dispose();
});

test('a tensor cdma cannot take is an InvalidArgumentError saying what to do', () => {
  const ints = tf.tensor1d([1, 0, 2], 'int32');
  const cases: [() => unknown, RegExp][] = [
    [() => compress(ints), /float32, float16 and bfloat16 tensors, not int32; cast it first/],
    [
      () => compress(tf.tensor1d([1, 2]), { dtype: 'float16' }),
      /the tensor is float32; option dtype float16 disagrees/,
    ],
    [
      () => compress(tf.tensor1d([1, 2]), { shape: [3] }),
      /shape \[3\] holds 3 elements but the data has 2/,
    ],
    [
      () =>
        compress({ dtype: 'float32', shape: [2], data: async () => new Float32Array(2) } as never),
      /no dataSync\(\); pass its values instead/,
    ],
    [
      () =>
        compress({
          dtype: 'float32',
          shape: [2],
          dataSync: () => {
            throw new ReferenceError('OffscreenCanvas is not defined');
          },
        }),
      /dataSync\(\) failed \(OffscreenCanvas is not defined\); pass its values instead/,
    ],
    [
      () => compress({ dtype: 'float32', shape: [3], dataSync: () => new Float32Array(2) }),
      /shape \[3\] holds 3 elements but dataSync\(\) gave 2/,
    ],
    [
      () => compress({ dtype: 'float32', shape: [2], dataSync: () => [1, 2] }),
      /dataSync\(\) gave Array, not a Float32Array/,
    ],
    [() => compress(Float64Array.of(1) as never, { dtype: 'float32' }), /not Float64Array/],
    [() => compress([1, 2] as never, { dtype: 'float32' }), /not Array/],
  ];
  for (const [f, message] of cases)
    assert.throws(f, { name: 'InvalidArgumentError', message }, String(message));
  ints.dispose();
});

test('16-bit tensors (dtype float16 or bfloat16 with Uint16Array bits) and typed arrays with their dtype', () => {
  const bits = Uint16Array.of(0, 0x3c00, 0, 0x8000, 0x7e01);
  const half = { dtype: 'bfloat16', shape: [5], dataSync: () => bits };
  const back = decompress(compress(half));
  assert.equal(back.dtype, 'bfloat16');
  assert.deepEqual(back.data, bits);
  const raw = new Uint8Array(Float32Array.of(0, 2, 0).buffer);
  assert.deepEqual(decompress(compress(raw, { dtype: 'float32' })).data, Float32Array.of(0, 2, 0));
  assert.throws(() => compress(raw), { message: /raw bytes need a dtype/ });
});

test('an unknown compress option is an InvalidArgumentError naming it and the valid ones', () => {
  const x = Float32Array.of(0, 1, 0, 2);
  const valid = 'valid options: codec, params, dtype, shape, layout, codecLayout, chunkBytes';
  const cases: [() => unknown, RegExp][] = [
    [
      () => compress(x, { level: 9 } as never),
      new RegExp(`unknown compress option 'level'; ${valid}; codec zvc takes no parameters$`),
    ],
    [
      () => compress(x, { codec: 'zlib', level: 9 } as never),
      /unknown compress option 'level'; .*; codec parameters go in params: \{ params: \{ level: 9 \} \}/,
    ],
    [
      () => compress(x, { codec: 'rle', chunk: 64 } as never),
      /unknown compress option 'chunk'; .*; codec rle takes parameters runBits, litBits \(in params\)/,
    ],
    [
      () => compress(x, { codec: 'zvc', params: { level: 9 } }),
      /codec zvc takes no parameters, got 'level'/,
    ],
    [
      () => maxCompressedSize(x, { chunkSize: 128 } as never),
      /unknown compress option 'chunkSize'/,
    ],
    [
      () => compressInto(x, { Codec: 'zvc' } as never, new Uint8Array(100)),
      /unknown compress option 'Codec'/,
    ],
    [
      () => compressStream({ dtype: 'float32', elements: 4, level: 1 } as never),
      /unknown compress option 'level'/,
    ],
    [() => compress(x, null as never), /compress options must be an object, not null/],
    [() => compress(x, 'zlib' as never), /compress options must be an object, not zlib/],
  ];
  for (const [f, message] of cases)
    assert.throws(f, { name: 'InvalidArgumentError', message }, String(message));
  // Keys set to undefined count as absent; compressStream knows `elements`.
  assert.deepEqual(
    decompress(compress(x, { layout: undefined, level: undefined } as never)).data,
    x,
  );
  assert.ok(compressStream({ dtype: 'float32', elements: 4 }));
});

test('compressedSize, compressionRatio and density take tensors and infer what they can', () => {
  const values = Float32Array.from({ length: 100 }, (_, i) => (i % 4 === 0 ? 1 + i : 0));
  const x = tf.tensor2d(values, [10, 10]);
  const zvc = 4 * Math.ceil(100 / 32) + 4 * 25;
  assert.equal(compressedSize(x), zvc);
  assert.equal(compressedSize(values), zvc);
  assert.equal(compressedSize(x, { codec: 'none' }), 400);
  assert.equal(compressionRatio(x), 400 / zvc);
  assert.equal(density(x), 0.25);
  assert.equal(density(values), 0.25);
  assert.equal(density(Uint16Array.of(0, 1, 0, 0)), 0.25);
  assert.equal(density(new Uint8Array(values.buffer), 4), 0.25);
  const cases: [() => unknown, RegExp][] = [
    [() => density(new Uint8Array(8)), /density of a Uint8Array needs the element width/],
    [() => compressedSize(new Uint8Array(8)), /compressedSize needs options.dtype/],
    [
      () => compressedSize(values, { level: 1 } as never),
      /unknown compressedSize option 'level'; valid options: codec, dtype, params/,
    ],
    [() => compressedSize(x, { dtype: 'float16' }), /option dtype float16 disagrees/],
    [() => compressedSize(tf.tensor1d([1], 'int32')), /not int32/],
  ];
  for (const [f, message] of cases)
    assert.throws(f, { name: 'InvalidArgumentError', message }, String(message));
  x.dispose();
});
