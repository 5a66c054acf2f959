import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../../src/sim/simulate.js';
import { chain, chainProfile, FAST_GPU, link } from './fixtures.js';

const close = (a: number, b: number, msg?: string) =>
  assert.ok(Math.abs(a - b) < 1e-9, `${msg ?? ''} ${a} != ${b}`);

// Tensor sizes at batch 1, fp32: data 4096 B, r1 and r2 32768 B each. The
// link moves 32768 B/s, so r1 or r2 take 1 s and data 0.125 s.
function run(policy: 'all' | 'conv' | 'none', ratio = 1) {
  return simulate({
    model: chain(),
    batch: 1,
    gpu: FAST_GPU,
    link: link(32768),
    policy,
    codec: ratio === 1 ? 'none' : 'zvc',
    dtype: 'float32',
    ratios: { kind: 'table', table: { default: ratio, layers: new Map() } },
    profile: chainProfile(),
  });
}

test('vDNN forward: each offload overlaps its first reader and stalls it until done', () => {
  const r = run('all');
  const s = r.vdnn.schedule.steps;
  close(s[1].forwardStall, 0.125 - 0.1, 'c1 offloads data'); // 0.125 s copy, 0.1 s conv
  close(s[3].forwardStall, 1 - 0.4, 'c2 offloads r1');
  close(s[6].forwardStall, 1 - 0.05, 'd offloads r2 (through the flatten view)');
  assert.equal(s[2].forwardStall, 0);
  assert.equal(s[6].offloadBytes, 32768);
  close(r.vdnn.schedule.forwardStall, 0.025 + 0.6 + 0.95);
});

test('vDNN backward: at each layer, prefetch the closest layer below whose offloaded X is not back, never past a convolution', () => {
  const r = run('all');
  const s = r.vdnn.schedule.steps;
  close(s[7].backwardStall, 1 - 0.1, 'loss prefetches r2 for d');
  // d: r2 is back; searching down, r2's own layer needs nothing new, c2 needs r1.
  close(s[6].backwardStall, 1 - 0.05, 'd prefetches r1 for c2 (the next convolution)');
  assert.equal(s[5].prefetchBytes, 0, 'flatten: c2, a convolution, ends the search');
  assert.equal(s[4].prefetchBytes, 0, 'r2: the same');
  assert.equal(s[3].backwardStall, 0, 'c2 prefetches data for c1 within its 0.3 s');
  assert.equal(s[3].prefetchBytes, 4096);
  assert.deepEqual([...r.vdnn.schedule.fetchedAt].sort(), [
    ['a:data', 3],
    ['a:r1', 6],
    ['a:r2', 7],
  ]);
  close(r.vdnn.schedule.iterationTime, r.vdnn.schedule.computeTime + 1.575 + 0.9 + 0.95);
});

test('the oracle moves nothing and cDMA at ratio 2 halves every transfer', () => {
  const o = run('none');
  assert.equal(o.vdnn.schedule.rawBytes, 0);
  close(o.vdnn.schedule.iterationTime, o.oracle.schedule.iterationTime);
  const r = run('all', 2);
  const s = r.cdma.schedule.steps;
  close(s[3].forwardStall, 0.1);
  close(s[6].forwardStall, 0.5 - 0.05);
  close(r.cdma.schedule.wireBytes * 2, r.cdma.schedule.rawBytes);
  close(r.averageRatio, 2);
  assert.ok(r.improvement > 0);
  close(r.improvement, r.vdnn.schedule.iterationTime / r.cdma.schedule.iterationTime - 1);
});

test("the 'conv' policy offloads only conv inputs", () => {
  const r = run('conv');
  assert.deepEqual(
    r.offloaded.map((t) => t.key),
    ['a:data', 'a:r1'],
  );
  assert.equal(r.vdnn.schedule.steps[6].forwardStall, 0);
  assert.ok(r.vdnn.schedule.iterationTime < run('all').vdnn.schedule.iterationTime);
});

test('a faster link never slows an iteration and an infinite one removes every stall', () => {
  let prev = Infinity;
  for (const bw of [1e4, 1e5, 1e6, 1e9, 1e15]) {
    const r = simulate({
      model: chain(),
      batch: 1,
      gpu: FAST_GPU,
      link: link(bw),
      policy: 'all',
      codec: 'none',
      dtype: 'float32',
      ratios: { kind: 'density', density: 0.5 },
      profile: chainProfile(),
    });
    assert.ok(r.vdnn.schedule.iterationTime <= prev);
    prev = r.vdnn.schedule.iterationTime;
    if (bw === 1e15) assert.ok(r.vdnn.normalized > 0.999999);
  }
});
