// Faults end training with a clear, typed error; nothing continues on data
// that may be wrong: the engine thread dying or crashing, a corrupted spill
// file, a spill directory that stops accepting writes.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/nn/backend.js';
import { getModel } from '../../src/nn/zoo/index.js';
import type { SavedTensorStore } from '../../src/nn/store.js';
import { MemoryManager } from '../../src/memory/manager.js';
import { DEFAULT_MEMORY_CONFIG, type MemoryConfig } from '../../src/memory/config.js';
import { HostStoreError, TransferEngineError } from '../../src/memory/errors.js';
import { CorruptDataError } from '../../src/errors.js';
import { runSteps } from './train-helper.js';
import { removeDir, withTempDir } from '../helpers/tmp.js';

before(async () => {
  await initBackend('wasm');
});

const spec = () => getModel('nin-small');

/** The manager, with `onFirstBackward` run when the first backward layer begins. */
function injecting(m: MemoryManager, onFirstBackward: () => void): SavedTensorStore {
  let fired = false;
  return {
    beginStep: (s) => m.beginStep(s),
    endStep: (s) => m.endStep(s),
    beginForward: (i) => m.beginForward(i),
    endForward: (i) => m.endForward(i),
    beginBackward: (i) => {
      if (!fired) {
        fired = true;
        onFirstBackward();
      }
      return m.beginBackward(i);
    },
    endBackward: (i) => m.endBackward(i),
    pack: (t, info) => m.pack(t, info),
    unpack: (h) => m.unpack(h),
    release: (h) => m.release(h),
  };
}

const withDir = <T>(f: (dir: string) => Promise<T>): Promise<T> => withTempDir(f, 'fault');

async function create(over: Partial<MemoryConfig>): Promise<MemoryManager> {
  return MemoryManager.create({
    config: { ...DEFAULT_MEMORY_CONFIG, policy: 'all', ...over },
    spec: spec(),
    batch: 4,
  });
}

test('an engine thread that exits mid-step stops training with a TransferEngineError', async () => {
  const m = await create({});
  try {
    const store = injecting(m, () => m.engine!.injectFault('exit'));
    await assert.rejects(runSteps(spec(), { batch: 4, steps: 2, store }), (e: unknown) => {
      assert.ok(e instanceof TransferEngineError, String(e));
      assert.match((e as Error).message, /exited unexpectedly/);
      return true;
    });
    // And it stays failed: the next step refuses to start.
    assert.throws(() => m.beginStep(5), TransferEngineError);
  } finally {
    await m.close();
  }
});

test('an engine thread that crashes stops training with a TransferEngineError', async () => {
  const m = await create({ codec: { id: 'rle' } });
  try {
    const store = injecting(m, () => m.engine!.injectFault('throw'));
    await assert.rejects(runSteps(spec(), { batch: 4, steps: 1, store }), (e: unknown) => {
      assert.ok(e instanceof TransferEngineError, String(e));
      assert.match((e as Error).message, /crashed|exited/);
      return true;
    });
  } finally {
    await m.close();
  }
});

test('a stalled engine thread does not hold up the backward pass: the compute thread checks RAM containers itself', async () => {
  const oracle = await runSteps(spec(), { batch: 4, steps: 1 });
  for (const codec of ['zvc', 'none'] as const) {
    const m = await create({ codec: { id: codec } });
    try {
      // The engine sleeps through the whole backward pass (as a thread the OS does not run).
      const store = injecting(m, () => m.engine!.injectFault('stall', 1500));
      const r = await runSteps(spec(), { batch: 4, steps: 1, store });
      assert.equal(r.hash, oracle.hash, `${codec}: weights differ from the oracle`);
      assert.ok(m.prefetchesCheckedHere > 0, `${codec}: every prefetch waited for the engine`);
      // The step's record still counts every prefetch (the engine finished them before it ended).
      const s = m.steps[0];
      assert.equal(s.prefetchedLinkBytes, s.offloadedLinkBytes, `${codec}: prefetches missing`);
    } finally {
      await m.close();
    }
  }
});

test('a corrupted spill file is detected on prefetch (CorruptDataError), never used', async () => {
  await withDir(async (dir) => {
    const m = await create({ hostStore: { kind: 'spill', dir } });
    try {
      const store = injecting(m, () => {
        const [sub] = readdirSync(dir);
        const files = readdirSync(join(dir, sub));
        assert.ok(files.length > 0, 'offloaded data is in spill files during backward');
        for (const f of files) {
          const p = join(dir, sub, f);
          const b = readFileSync(p);
          b[b.length - 1] ^= 0x40;
          writeFileSync(p, b);
        }
      });
      await assert.rejects(runSteps(spec(), { batch: 4, steps: 1, store }), (e: unknown) => {
        assert.ok(e instanceof CorruptDataError, String(e));
        assert.match((e as Error).message, /spill file .*CRC-32/);
        return true;
      });
    } finally {
      await m.close();
    }
  });
});

test('a spill directory that stops taking writes stops training with a HostStoreError', async () => {
  await withDir(async (dir) => {
    const m = await create({ hostStore: { kind: 'spill', dir }, codec: { id: 'zlib' } });
    try {
      // The first step runs; then the directory disappears (as an unmounted or full disk would fail writes).
      let step = 0;
      const store: SavedTensorStore = {
        ...injecting(m, () => {}),
        beginStep: (s) => {
          if (step++ === 1) removeDir(dir);
          return m.beginStep(s);
        },
      };
      await assert.rejects(runSteps(spec(), { batch: 4, steps: 3, store }), (e: unknown) => {
        assert.ok(e instanceof HostStoreError, String(e));
        assert.match((e as Error).message, /host store .* failed while writing/);
        return true;
      });
      assert.equal(m.steps.length, 1);
    } finally {
      await m.close();
    }
  });
});

test('a host store directory that does not exist fails at start', async () => {
  await assert.rejects(
    create({ hostStore: { kind: 'spill', dir: '/nonexistent/cdma' } }),
    HostStoreError,
  );
});

test('an engine failure leaves no spill folder behind once the manager closes', async () => {
  await withDir(async (dir) => {
    const m = await create({ hostStore: { kind: 'spill', dir } });
    let during: string[] = [];
    try {
      const store = injecting(m, () => {
        during = readdirSync(dir);
        m.engine!.injectFault('exit');
      });
      await assert.rejects(runSteps(spec(), { batch: 4, steps: 2, store }), TransferEngineError);
    } finally {
      await m.close(new Error('engine failed'));
    }
    assert.equal(during.length, 1, 'the spill folder existed while training');
    assert.deepEqual(readdirSync(dir), []);
  });
});
