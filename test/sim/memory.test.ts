import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../../src/sim/simulate.js';
import { chain, chainProfile, FAST_GPU, link } from './fixtures.js';

function run(policy: 'all' | 'none', memoryBytes = 1e12, optimizerSlots = 1) {
  return simulate({
    model: chain(),
    batch: 1,
    gpu: { ...FAST_GPU, memoryBytes },
    link: link(32768),
    policy,
    codec: 'none',
    dtype: 'float32',
    ratios: { kind: 'density', density: 0.5 },
    profile: chainProfile(),
    optimizerSlots,
  });
}

// Parameters: c1 80, c2 584, d 81930 = 82594, held as weights + grads + momentum (3 x 4 B).
const STATIC = 82594 * 4 * 3;

test('oracle peak: weights, grads and momentum plus the activations live at the worst step', () => {
  const r = run('none');
  // At d's backward: data 4096 + r1 32768 + r2 32768 + dY(r2) 32768 + dY(d) 40 bytes.
  assert.equal(r.oracle.memory.staticBytes, STATIC);
  assert.equal(r.oracle.memory.peakBytes, STATIC + 102440);
  assert.equal(r.oracle.memory.peakAt, 'backward d');
});

test('optimizer state changes the static bytes: plain SGD keeps one copy fewer', () => {
  assert.equal(run('none', 1e12, 0).oracle.memory.staticBytes, 82594 * 4 * 2);
  assert.equal(run('none', 1e12, 2).oracle.memory.staticBytes, 82594 * 4 * 4);
});

test('vDNN frees offloaded tensors, so its peak is below the oracle and decides whether it fits', () => {
  const r = run('all');
  assert.ok(r.vdnn.memory.peakBytes < r.oracle.memory.peakBytes);
  // cDMA keeps the same residency as vDNN (it only changes transfer speed).
  assert.equal(r.cdma.memory.peakBytes, r.vdnn.memory.peakBytes);
  const cap = (r.vdnn.memory.peakBytes + r.oracle.memory.peakBytes) / 2;
  const tight = run('all', cap);
  assert.equal(tight.oracle.fits, false);
  assert.equal(tight.vdnn.fits, true);
});

test('network-wide allocation holds every feature map for the iteration: above the liveness peak', () => {
  const r = run('none');
  // Maps: data 4096 + c1 out (overwritten in place by r1: shared) + r1 32768 + c2 out (shared with r2)
  // + r2 32768 + d 40 + loss 40; gradients: the two largest maps (32768 each).
  assert.equal(r.networkWideBytes, STATIC + 4096 + 32768 + 32768 + 40 + 40 + 2 * 32768);
  assert.ok(r.networkWideBytes >= r.oracle.memory.peakBytes);
});
