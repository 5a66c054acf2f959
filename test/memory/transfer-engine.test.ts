import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TransferEngine } from '../../src/memory/transfer-engine.js';
import { TransferEngineError } from '../../src/memory/errors.js';
import type { CodecId } from '../../src/codec/codec.js';
import { sparseElements } from '../helpers/sparse.js';
import { getCodec } from '../../src/codec/registry.js';
import { writeContainer } from '../../src/codec/container/writer.js';
import { flatHeader } from '../../src/codec/container/engine-io.js';
import { FRAME_HEADER_BYTES } from '../../src/codec/container/format.js';
import { parseContainer, decodeAllInto } from '../../src/codec/container/reader.js';
import { CorruptDataError } from '../../src/errors.js';
import { withTempDir } from '../helpers/tmp.js';

/** Float32 bytes in shared memory, a third non-zero (some -0, NaN: non-zero bit patterns). */
const sparse = (n: number, seed: number): Uint8Array =>
  sparseElements(n, 4, { density: 1 / 3, seed, special: 0.2, shared: true });

const shared = (n: number) => new Uint8Array(new SharedArrayBuffer(n));
const unlimited = { bytesPerSecond: Infinity, latencySeconds: 0 };

test('every codec moves bytes out and back bit-exactly, reporting sizes and non-zeros', async () => {
  for (const id of ['none', 'zvc', 'rle', 'zlib'] as CodecId[]) {
    const e = await TransferEngine.start({
      codec: { id },
      link: unlimited,
      hostStore: { kind: 'ram' },
    });
    try {
      const src = sparse(10_000, 3);
      const nz = new Uint32Array(src.buffer).reduce((a, w) => a + (w !== 0 ? 1 : 0), 0);
      const off = await e.offload(1, src, 4);
      assert.equal(off.direction, 'offload');
      assert.equal(off.rawBytes, 40_000);
      assert.equal(off.nonZero, nz, id);
      // What crosses the link is a container: its header and frames add a few bytes.
      if (id === 'none')
        assert.ok(off.linkBytes > 40_000 && off.linkBytes < 40_100, `${off.linkBytes}`);
      else assert.ok(off.linkBytes < 40_000, `${id} did not compress`);
      const copy = src.slice();
      src.fill(0xee); // the staging buffer is reused at once
      const dest = shared(40_000);
      const pre = await e.prefetch(1, dest);
      assert.equal(pre.linkBytes, off.linkBytes);
      assert.deepEqual(new Uint8Array(dest), new Uint8Array(copy));
      // Bytes (bool tensors) travel without a codec.
      const flags = shared(7).fill(1);
      await e.offload(2, flags, 1);
      const back = shared(7);
      await e.prefetch(2, back);
      assert.deepEqual([...back], [1, 1, 1, 1, 1, 1, 1]);
    } finally {
      await e.close();
    }
  }
});

test('the link is enforced by waiting: a transfer takes at least latency + bytes / bandwidth', async () => {
  const e = await TransferEngine.start({
    codec: { id: 'none' },
    link: { bytesPerSecond: 10e6, latencySeconds: 0.002 },
    hostStore: { kind: 'ram' },
  });
  try {
    const r = await e.offload(1, shared(200_000), 4);
    assert.ok(r.linkMs >= 22 - 1e-9, `link model ${r.linkMs} ms`);
    assert.ok(r.endMs - r.startMs >= r.linkMs - 0.5, `engine took ${r.endMs - r.startMs} ms`);
    const p = await e.prefetch(1, shared(200_000));
    assert.ok(p.endMs >= r.endMs, 'one engine: jobs run in order');
  } finally {
    await e.close();
  }
});

test('a failed job fails the engine for good: nothing continues on possibly wrong data', async () => {
  const e = await TransferEngine.start({
    codec: { id: 'zvc' },
    link: unlimited,
    hostStore: { kind: 'ram' },
  });
  await e.offload(1, sparse(4, 1), 4);
  await assert.rejects(e.prefetch(1, shared(8)), /holds 16/);
  await assert.rejects(e.prefetch(1, shared(16)), /holds 16/);
  await assert.rejects(e.offload(2, sparse(4, 2), 4), /holds 16/);
  await e.close();
  const f = await TransferEngine.start({
    codec: { id: 'zvc' },
    link: unlimited,
    hostStore: { kind: 'ram' },
  });
  await assert.rejects(f.prefetch(9, shared(8)), /never offloaded/);
  await f.close();
});

test('a dead engine thread is a TransferEngineError for every pending and later job', async () => {
  const e = await TransferEngine.start({
    codec: { id: 'zvc' },
    link: unlimited,
    hostStore: { kind: 'ram' },
  });
  assert.throws(() => e.offload(2, new Uint8Array(8), 4), TransferEngineError); // not shared memory
  await e.offload(1, sparse(4, 1), 4);
  e.injectFault('exit');
  await assert.rejects(e.offload(3, sparse(4, 2), 4), TransferEngineError);
  assert.ok(e.failure instanceof TransferEngineError);
  await assert.rejects(e.prefetch(1, shared(16)), TransferEngineError);
  await e.close();
});

test('a codec the engine cannot build fails at start', async () => {
  await assert.rejects(
    TransferEngine.start({
      codec: { id: 'zlib', params: { level: 99 } },
      link: unlimited,
      hostStore: { kind: 'ram' },
    }),
    /level/,
  );
});

/** A zvc container of `src` in shared memory with its frame CRCs wiped (what the compute thread writes). */
function unsealed(src: Uint8Array): Uint8Array {
  const h = flatHeader('zvc', {}, [src.byteLength / 4], 4096);
  const c = writeContainer(h, getCodec('zvc'), src);
  const out = shared(c.byteLength);
  out.set(c);
  const p = parseContainer(out, getCodec);
  for (const at of p.frameOffsets) out.fill(0, at + 4, at + FRAME_HEADER_BYTES);
  return out;
}

test('containers written at the source are sealed, kept, checked and returned (RAM in place, spill files)', async () => {
  await withTempDir(async (dir) => {
    for (const hostStore of [{ kind: 'ram' as const }, { kind: 'spill' as const, dir }]) {
      const e = await TransferEngine.start({ codec: { id: 'zvc' }, link: unlimited, hostStore });
      try {
        const src = sparse(5_000, 7);
        const region = unsealed(src);
        const off = await e.wait(e.submitOffloadSealed(4, region, src.byteLength, -1));
        assert.equal(off.linkBytes, region.byteLength);
        const nz = new Uint32Array(src.buffer).reduce((a, w) => a + (w !== 0 ? 1 : 0), 0);
        assert.equal(off.nonZero, nz, 'counted from the zvc sizes');
        // RAM: the container stays where it was written; spill: it comes back into a new buffer.
        const dest = hostStore.kind === 'ram' ? region : shared(region.byteLength);
        const pre = await e.wait(e.submitPrefetchSealed(4, dest));
        assert.equal(pre.rawBytes, src.byteLength);
        const back = new Uint8Array(src.byteLength);
        decodeAllInto(parseContainer(dest, getCodec), back);
        assert.deepEqual(back, new Uint8Array(src));
        // A stray write into host memory is caught by the container's checksums.
        if (hostStore.kind === 'ram') {
          region[region.byteLength - 3] ^= 4;
          await assert.rejects(e.wait(e.submitPrefetchSealed(4, region)), CorruptDataError);
        }
      } finally {
        await e.close();
      }
    }
  }, 'engine-sealed');
});

test('a RAM container the compute thread checked itself is not checked again by the engine', async () => {
  const e = await TransferEngine.start({
    codec: { id: 'zvc' },
    link: unlimited,
    hostStore: { kind: 'ram' },
  });
  try {
    const src = sparse(5_000, 3);
    const region = unsealed(src);
    await e.wait(e.submitOffloadSealed(7, region, src.byteLength, -1));
    // The engine sleeps while the job is queued, marked, and the bytes changed behind its back:
    // it passes the container through (the compute thread's check is the one that counts).
    e.injectFault('stall', 300);
    const marked = e.submitPrefetchSealed(7, region);
    e.checkedHere(marked);
    region[region.byteLength - 3] ^= 4;
    const r = await e.wait(marked);
    assert.equal(r.rawBytes, src.byteLength);
    // Unmarked, the same bytes fail the engine's own check.
    await assert.rejects(e.wait(e.submitPrefetchSealed(7, region)), CorruptDataError);
  } finally {
    await e.close();
  }
});

test('the ring holds more jobs than its slots, in order, without waking the compute thread per job', async () => {
  const e = await TransferEngine.start({
    codec: { id: 'none' },
    link: unlimited,
    hostStore: { kind: 'ram' },
  });
  try {
    const src = sparse(64, 1);
    const jobs = [];
    for (let k = 1; k <= 5000; k++) jobs.push(e.submitOffloadRaw(k, src, 4));
    const last = await e.wait(jobs[jobs.length - 1]);
    assert.equal(last.rawBytes, 256);
    e.poll();
    assert.ok(jobs.every((j) => j.settled && j.error === undefined));
    for (let i = 1; i < jobs.length; i++)
      assert.ok(jobs[i].result!.startMs >= jobs[i - 1].result!.startMs);
    const drops = e.drop(jobs.map((j) => j.key));
    await e.wait(e.submitOffloadRaw(9999, src, 4));
    assert.ok(drops.every((d) => d.settled));
    await assert.rejects(e.prefetch(1, shared(256)), /never offloaded/);
  } finally {
    await e.close();
  }
});

test('a container in RAM is across the link when the link schedule booked at submit says so, in submit order', async () => {
  const e = await TransferEngine.start({
    codec: { id: 'zvc' },
    link: { bytesPerSecond: 10e6, latencySeconds: 0.001 },
    hostStore: { kind: 'ram' },
  });
  try {
    e.batchWakes = true;
    const src = sparse(50_000, 5);
    const ca = unsealed(src);
    const a = e.submitOffloadSealed(1, ca, src.byteLength, -1);
    const b = e.submitOffloadSealed(2, unsealed(src), src.byteLength, -1);
    // Booked one after the other on the one link: b ends a link time after a.
    const linkMs = 1 + ca.byteLength / 10e3;
    assert.ok(b.linkDoneMs - a.linkDoneMs >= linkMs - 1e-6, `${b.linkDoneMs - a.linkDoneMs} ms`);
    // Nothing is across before its link time has passed (the engine sleeps it out too).
    const early = e.transferred(b);
    if (performance.now() < b.linkDoneMs) assert.equal(early, false);
    await e.waitTransferred(b);
    assert.ok(performance.now() >= b.linkDoneMs || b.settled);
    assert.ok(e.transferred(a), 'in order');
    // The engine still stores both (woken by the wait for their results) and returns them.
    const ra = await e.wait(a);
    const rb = await e.wait(b);
    assert.ok(rb.startMs >= ra.endMs - 1e-6, 'one engine: jobs run in order');
    // A raw job's link bytes are known only to the engine: whatever follows waits for it.
    const raw = e.submitOffloadRaw(3, sparse(1000, 2), 4);
    const after = e.submitOffloadSealed(4, unsealed(src), src.byteLength, -1);
    assert.equal(after.linkDoneMs, Infinity);
    await e.waitTransferred(after);
    assert.ok(raw.settled && after.settled);
  } finally {
    await e.close();
  }
});

test('on a link without limits a sealed offload in RAM is across at once; a spill store says so only once written', async () => {
  await withTempDir(async (dir) => {
    for (const hostStore of [{ kind: 'ram' as const }, { kind: 'spill' as const, dir }]) {
      const e = await TransferEngine.start({ codec: { id: 'none' }, link: unlimited, hostStore });
      try {
        e.batchWakes = true;
        const src = sparse(4_000, 9);
        const j = e.submitOffloadSealed(1, unsealed(src), src.byteLength, -1);
        if (hostStore.kind === 'ram') assert.equal(e.transferred(j), true);
        else assert.ok(Number.isNaN(j.linkDoneMs), 'no schedule: the file is not written yet');
        await e.waitTransferred(j);
        if (hostStore.kind === 'spill') assert.ok(j.settled);
        const r = await e.wait(j);
        assert.equal(r.rawBytes, src.byteLength);
      } finally {
        await e.close();
      }
    }
  }, 'engine-schedule');
});
