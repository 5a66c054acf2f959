import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { crc32 } from '../../src/codec/container/crc32.js';
import { InputFileError, OutputFileError } from '../../src/errors.js';
import type { Buffer as ModelBuffer, Param } from '../../src/nn/param.js';
import { readCheckpoint, writeCheckpoint } from '../../src/study/checkpoint.js';
import { tempDir } from '../helpers/tmp.js';

function model(seed: number): { params: Param[]; buffers: ModelBuffer[] } {
  const v = (shape: number[], k: number) =>
    tf.variable(
      tf.tensor(
        Array.from({ length: shape.reduce((a, d) => a * d, 1) }, (_, i) => seed + k + i / 8),
        shape,
      ),
    );
  const param = (name: string, shape: number[], k: number): Param => ({
    name,
    value: v(shape, k),
    grad: null,
    decay: true,
    slots: k === 0 ? [tf.fill(shape, seed + 0.5)] : [],
  });
  return {
    params: [param('d/weight', [3, 2], 0), param('d/bias', [2], 1)],
    buffers: [{ name: 'bn/mean', value: v([2], 2) }],
  };
}

const state = { model: 'tiny', step: 7, seed: 3 };

function refused(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof InputFileError && re.test(e.message));
}

test('a checkpoint round-trips parameters, momentum and buffers; its bytes are the documented layout', async (t) => {
  const dir = tempDir(t, 'ckpt');
  const path = join(dir, 'tiny.ckpt');
  const a = model(1);
  await writeCheckpoint(path, state, a.params, a.buffers);
  assert.deepEqual(readdirSync(dir), ['tiny.ckpt'], 'no temporary file is left');
  const bytes = readFileSync(path);
  assert.equal(bytes.toString('latin1', 0, 8), 'CDMACKPT');
  assert.equal(bytes.readUInt32LE(8), 1);
  const headerLength = bytes.readUInt32LE(12);
  assert.equal(bytes.readUInt32LE(16), crc32(bytes.subarray(20)) >>> 0);
  assert.equal(bytes.length, 20 + headerLength + 4 * (6 + 2 + 6 + 2 + 2));
  const b = model(9);
  assert.deepEqual(readCheckpoint(path, b.params, b.buffers), state);
  assert.deepEqual(b.params[0].value.arraySync(), a.params[0].value.arraySync());
  assert.deepEqual(b.params[0].slots[0].arraySync(), a.params[0].slots[0].arraySync());
  assert.deepEqual(b.params[1].slots[0].arraySync(), [0, 0], 'no momentum yet reads as zeros');
  assert.deepEqual(b.buffers[0].value.arraySync(), a.buffers[0].value.arraySync());
});

test('writing goes through the safe writer: a folder in the way is an output error', async (t) => {
  const dir = tempDir(t, 'ckpt');
  const a = model(1);
  await assert.rejects(writeCheckpoint(dir, state, a.params, a.buffers), OutputFileError);
});

test('reading is bounded: devices, pipes and missing files are input errors', (t) => {
  const dir = tempDir(t, 'ckpt');
  const a = model(1);
  refused(
    () => readCheckpoint('/dev/zero', a.params, a.buffers),
    /^checkpoint \/dev\/zero is a device/,
  );
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  refused(() => readCheckpoint(fifo, a.params, a.buffers), /is a pipe/);
  refused(() => readCheckpoint(join(dir, 'none'), a.params, a.buffers), /does not exist/);
});

test('damaged or foreign checkpoints are refused with the reason', async (t) => {
  const dir = tempDir(t, 'ckpt');
  const path = join(dir, 'c.ckpt');
  const a = model(1);
  await writeCheckpoint(path, state, a.params, a.buffers);
  const good = readFileSync(path);
  const headerLength = good.readUInt32LE(12);
  const header = JSON.parse(good.toString('utf8', 20, 20 + headerLength));
  const forge = (h: unknown, values = good.subarray(20 + headerLength)): Buffer => {
    const hb = Buffer.from(JSON.stringify(h));
    const pre = Buffer.alloc(20);
    pre.write('CDMACKPT', 0, 'latin1');
    pre.writeUInt32LE(1, 8);
    pre.writeUInt32LE(hb.length, 12);
    pre.writeUInt32LE(crc32(values, crc32(hb)) >>> 0, 16);
    return Buffer.concat([pre, hb, values]);
  };
  const cases: [Buffer, RegExp][] = [
    [good.subarray(0, 12), /is not a cdma study checkpoint/],
    [
      Buffer.concat([
        good.subarray(0, 12),
        Buffer.from([0xff, 0xff, 0xff, 0x7f]),
        good.subarray(16),
      ]),
      /header of 2147483647 bytes, over the/,
    ],
    [
      Buffer.concat([good.subarray(0, 12), Buffer.from([0, 0, 0x10, 0]), good.subarray(16, 40)]),
      /is truncated/,
    ],
    [
      Buffer.concat([good.subarray(0, 40), Buffer.from([good[40] ^ 1]), good.subarray(41)]),
      /checksum mismatch/,
    ],
    [forge({ ...header, seed: -1 }), /does not match this model/],
    [forge({ ...header, step: 1e300 }), /does not match this model/],
    [
      forge({
        ...header,
        entries: header.entries.map((e: { shape: number[] }) => ({ ...e, shape: [e.shape] })),
      }),
      /does not match this model at param d\/weight/,
    ],
    [
      forge(header, good.subarray(20 + headerLength + 4)),
      /holds 68 value bytes, the model needs 72/,
    ],
  ];
  for (const [bytes, re] of cases) {
    writeFileSync(path, bytes);
    const b = model(2);
    refused(() => readCheckpoint(path, b.params, b.buffers), re);
  }
});
