import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { initBackend } from '../../src/nn/backend.js';
import { getModel } from '../../src/nn/zoo/index.js';
import { MemoryManager } from '../../src/memory/manager.js';
import { DEFAULT_MEMORY_CONFIG } from '../../src/memory/config.js';
import { LANE_TID, TraceRecorder, type TraceFile } from '../../src/memory/trace.js';
import { parseLink } from '../../src/memory/link.js';
import { runSteps } from './train-helper.js';

before(async () => {
  await initBackend('wasm');
});

test('the trace recorder writes Chrome trace-event JSON', () => {
  const t = new TraceRecorder(1000);
  t.span('compute', 'conv1', 'forward', 1000.5, 1002.25, { n: 1 });
  t.span('transfer', 'offload a:x', 'offload', 1001, 1001.5);
  const j = t.toJSON();
  assert.equal(j.displayTimeUnit, 'ms');
  const spans = j.traceEvents.filter((e) => e.ph === 'X');
  assert.deepEqual(spans[0], {
    name: 'conv1',
    cat: 'forward',
    ph: 'X',
    ts: 500,
    dur: 1750,
    pid: 1,
    tid: LANE_TID.compute,
    args: { n: 1 },
  });
  assert.equal(spans[1].tid, LANE_TID.transfer);
  const names = j.traceEvents.filter((e) => e.ph === 'M').map((e) => e.args?.name);
  assert.deepEqual(names, ['cdma', 'compute', 'transfer engine (DMA)']);
});

test('a trace says whether its run finished: status ok, or failed with the error', () => {
  const dir = makeTempDir('trace-status');
  try {
    const t = new TraceRecorder(0);
    t.span('compute', 'conv1', 'forward', 1, 2);
    t.write(join(dir, 'ok.json'));
    t.write(join(dir, 'failed.json'), new Error('transfer engine thread crashed'));
    const read = (f: string) =>
      JSON.parse(readFileSync(join(dir, f), 'utf8')) as { otherData: unknown };
    assert.deepEqual(read('ok.json').otherData, { status: 'ok' });
    assert.deepEqual(read('failed.json').otherData, {
      status: 'failed',
      error: 'transfer engine thread crashed',
    });
  } finally {
    removeDir(dir);
  }
});

test('--trace writes compute and transfer lanes of a real run, viewable in Perfetto', async () => {
  const dir = makeTempDir('trace');
  try {
    const path = join(dir, 'trace.json');
    const spec = getModel('nin-small');
    const m = await MemoryManager.create({
      config: {
        ...DEFAULT_MEMORY_CONFIG,
        policy: 'all',
        link: parseLink('200MBps'),
        tracePath: path,
      },
      spec,
      batch: 4,
    });
    await runSteps(spec, { batch: 4, steps: 2, store: m });
    await m.close();
    const j = JSON.parse(readFileSync(path, 'utf8')) as TraceFile;
    const spans = j.traceEvents.filter((e) => e.ph === 'X');
    for (const e of spans) {
      assert.ok(
        Number.isInteger(e.ts) && e.ts >= 0 && Number.isInteger(e.dur) && e.dur! >= 0,
        JSON.stringify(e),
      );
      assert.equal(e.pid, 1);
    }
    const compute = spans.filter((e) => e.tid === LANE_TID.compute);
    const transfer = spans.filter((e) => e.tid === LANE_TID.transfer);
    assert.equal(compute.filter((e) => e.cat === 'step').length, 2);
    const layers = spec.layers.filter((l) => l.kind !== 'input').map((l) => l.name);
    for (const name of layers)
      assert.ok(
        compute.some((e) => e.cat === 'forward' && e.name === name),
        name,
      );
    const groups = m.buffers.length;
    assert.equal(transfer.filter((e) => e.cat === 'offload').length, 2 * groups);
    assert.equal(transfer.filter((e) => e.cat === 'prefetch').length, 2 * groups);
    // One engine: its transfers never overlap.
    const sorted = [...transfer].sort((a, b) => a.ts - b.ts);
    for (let i = 1; i < sorted.length; i++) {
      assert.ok(sorted[i].ts >= sorted[i - 1].ts + sorted[i - 1].dur! - 1, 'transfers overlap');
    }
    // Spans on the compute lane nest (steps contain layers contain stalls).
    const step = compute.find((e) => e.cat === 'step')!;
    const inside = compute.filter(
      (e) => e.cat === 'forward' && e.ts >= step.ts && e.ts + e.dur! <= step.ts + step.dur! + 1,
    );
    assert.ok(inside.length >= layers.length);
    // At 200 MB/s the compute waits for transfers somewhere.
    assert.ok(compute.some((e) => e.cat === 'stall'));
  } finally {
    removeDir(dir);
  }
});
