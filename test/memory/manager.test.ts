import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/nn/backend.js';
import { ModelBuilder } from '../../src/nn/zoo/builder.js';
import type { ModelSpec } from '../../src/nn/spec.js';
import { MemoryManager } from '../../src/memory/manager.js';
import { DEFAULT_MEMORY_CONFIG, type MemoryConfig } from '../../src/memory/config.js';
import { parseLink } from '../../src/memory/link.js';
import { fakeStep, KeepAllStore } from './fake-executor.js';

function model(): ModelSpec {
  const b = new ModelBuilder([3, 16, 16]);
  const r0 = b.convRelu('conv0', 'data', 8, 3, { pad: 1 });
  const r1 = b.convRelu('conv1', b.convRelu('conv0b', r0, 8, 3, { pad: 1 }), 8, 3, { pad: 1 });
  const p1 = b.maxpool('pool1', r1, 2, 2);
  const r2 = b.convRelu('conv2', p1, 8, 3, { pad: 1 });
  const p2 = b.maxpool('pool2', r2, 2, 2);
  const d = b.dropout('drop', b.relu('fc1/relu', b.dense('fc1', b.flatten('flat', p2), 32)), 0.5);
  return b.finish(b.dense('fc2', d, 10), { name: 'tiny', description: 'test', numClasses: 10 });
}

const config = (over: Partial<MemoryConfig>): MemoryConfig => ({
  ...DEFAULT_MEMORY_CONFIG,
  ...over,
});

before(async () => {
  await initBackend('wasm');
});

test('every policy and codec returns bit-identical tensors and leaks nothing', async () => {
  const spec = model();
  for (const policy of ['none', 'all', 'conv'] as const) {
    for (const codec of ['none', 'zvc', 'rle', 'zlib'] as const) {
      if (policy === 'none' && codec !== 'none') continue;
      const m = await MemoryManager.create({
        config: config({ policy, codec: { id: codec } }),
        spec,
        batch: 4,
      });
      try {
        for (let step = 0; step < 2; step++) {
          const r = await fakeStep(spec, 4, m, step);
          assert.equal(r.leakedTensors, 0, `${policy}/${codec}: leaked tensors`);
          assert.ok(r.checkedTensors > 0);
        }
        assert.equal(m.liveEntries, 0);
        const s = m.steps[1];
        if (policy === 'none') assert.equal(s.offloadedRawBytes, 0);
        else assert.ok(s.offloadedRawBytes > 0, `${policy}/${codec}: offloaded nothing`);
      } finally {
        await m.close();
      }
    }
  }
});

test('offloading lowers the device peak: all < conv < none', async () => {
  const spec = model();
  const peaks: Record<string, number> = {};
  for (const policy of ['none', 'conv', 'all'] as const) {
    const m = await MemoryManager.create({
      config: config({ policy, codec: { id: 'zvc' } }),
      spec,
      batch: 8,
    });
    try {
      peaks[policy] = (await fakeStep(spec, 8, m, 0)).peakBytes;
    } finally {
      await m.close();
    }
  }
  const keep = (await fakeStep(spec, 8, new KeepAllStore(), 0)).peakBytes;
  assert.equal(peaks.none, keep);
  assert.ok(peaks.all <= peaks.conv, JSON.stringify(peaks));
  assert.ok(peaks.conv < peaks.none, JSON.stringify(peaks));
});

test('a shared buffer moves once; stats count raw and compressed bytes, ratio and density', async () => {
  const spec = model();
  const m = await MemoryManager.create({
    config: config({ policy: 'all', codec: { id: 'zvc' } }),
    spec,
    batch: 4,
  });
  try {
    await fakeStep(spec, 4, m, 0);
    const s = m.steps[0];
    const L = (n: string) => s.layers.find((l) => l.name === n)!;
    // conv1/relu's output is saved by the ReLU and by pool1: one offload, synchronised at pool1.
    const reluBytes = 4 * 16 * 16 * 8 * 4;
    assert.equal(L('conv1/relu').offloadedRawBytes, 0);
    assert.equal(L('pool1').offloadedRawBytes, reluBytes); // its input X
    // pool1's output is also conv2's input X: synchronised at conv2.
    assert.equal(L('conv2').offloadedRawBytes, 4 * 8 * 8 * 8 * 4);
    // ReLU output of random normals: about half zeros, so ZVC compresses it.
    assert.ok(L('pool1').offloadedLinkBytes < L('pool1').offloadedRawBytes);
    assert.ok(s.ratio > 1 && s.ratio < 32, `ratio ${s.ratio}`);
    assert.ok(s.density > 0 && s.density < 1, `density ${s.density}`);
    assert.equal(
      s.offloadedRawBytes,
      s.layers.reduce((a, l) => a + l.offloadedRawBytes, 0),
    );
    assert.equal(s.prefetchedLinkBytes, s.offloadedLinkBytes);
    assert.equal(s.linkBytes, 2 * s.offloadedLinkBytes);
    const groups = m.buffers.length;
    assert.equal(s.offloads, groups);
  } finally {
    await m.close();
  }
});

test('a slow link costs wall-clock time and shows up as stalls', async () => {
  const spec = model();
  const m = await MemoryManager.create({
    config: config({ policy: 'all', codec: { id: 'none' }, link: parseLink('20MBps') }),
    spec,
    batch: 4,
  });
  try {
    await fakeStep(spec, 4, m, 0);
    const s = m.steps[0];
    // Every byte crosses twice at 20 MB/s: the step cannot be faster than that.
    const linkSeconds = s.linkBytes / 20e6;
    assert.ok(s.stepMs >= linkSeconds * 1e3 * 0.99, `${s.stepMs} ms < ${linkSeconds * 1e3} ms`);
    assert.ok(s.stallMs > 0);
    assert.ok(s.transferMs >= linkSeconds * 1e3 * 0.99);
  } finally {
    await m.close();
  }
});

test('the device peak stays the same whatever the prefetch distance, and data stays exact', async () => {
  const spec = model();
  for (const ahead of [0, 1, 3]) {
    const m = await MemoryManager.create({
      config: config({ policy: 'all', codec: { id: 'zvc' }, prefetchAhead: ahead }),
      spec,
      batch: 4,
    });
    try {
      const r = await fakeStep(spec, 4, m, 0);
      assert.equal(r.leakedTensors, 0);
    } finally {
      await m.close();
    }
  }
});

test('tensor count returns to where it started after close', async () => {
  const spec = model();
  const before = tf.memory().numTensors;
  const m = await MemoryManager.create({ config: config({ policy: 'all' }), spec, batch: 2 });
  await fakeStep(spec, 2, m, 0);
  await m.close();
  assert.equal(tf.memory().numTensors, before);
});

test('density is the same whether read off the ZVC size or counted', async () => {
  const spec = model();
  const density: number[] = [];
  for (const codec of ['zvc', 'rle'] as const) {
    const m = await MemoryManager.create({
      config: config({ policy: 'all', codec: { id: codec } }),
      spec,
      batch: 4,
    });
    try {
      await fakeStep(spec, 4, m, 0);
      const s = m.steps[0];
      assert.ok(s.offloadedElements > 0);
      density.push(s.offloadedNonZero / s.offloadedElements);
    } finally {
      await m.close();
    }
  }
  assert.equal(density[0], density[1]);
  assert.ok(density[0] > 0.3 && density[0] < 0.9, `density ${density[0]}`);
});
