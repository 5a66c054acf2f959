import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/errors.js';
import { createMemoryManager, memoryConfig, type MemoryOptions } from '../../src/memory/create.js';
import { registerCodec } from '../../src/codec/registry.js';
import { noneCodec } from '../../src/codec/none.js';
import { getModel } from '../../src/nn/zoo/index.js';
import { LINK_PRESETS } from '../../src/memory/link.js';

test('memoryConfig: the defaults offload everything with ZVC over an unlimited link into RAM', () => {
  const c = memoryConfig();
  assert.equal(c.policy, 'all');
  assert.deepEqual(c.codec, { id: 'zvc' });
  assert.equal(c.link.bytesPerSecond, Infinity);
  assert.deepEqual(c.hostStore, { kind: 'ram' });
  assert.equal(c.prefetchAhead, 1);
  assert.equal(c.budgetBytes, undefined);
});

test('memoryConfig: sizes, links, codecs with parameters and spill folders', () => {
  const c = memoryConfig({
    policy: 'conv',
    codec: { id: 'zlib', params: { level: 1 } },
    budget: '1.5GiB',
    link: 'pcie3',
    hostStore: { dir: '/tmp' },
    prefetchAhead: 2,
  });
  assert.equal(c.budgetBytes, 1.5 * 2 ** 30);
  assert.equal(c.link, LINK_PRESETS.pcie3);
  assert.deepEqual(c.codec, { id: 'zlib', params: { level: 1 } });
  assert.deepEqual(c.hostStore, { kind: 'spill', dir: '/tmp' });
  assert.equal(memoryConfig({ budget: 4096 }).budgetBytes, 4096);
  assert.equal(memoryConfig({ link: '2.5GBps' }).link.bytesPerSecond, 2.5e9);
});

test('memoryConfig: an unknown option or a bad value is an InvalidArgumentError naming it', () => {
  const bad: [unknown, RegExp][] = [
    [{ polcy: 'all' }, /unknown memory option 'polcy'/],
    [{ policy: 'most' }, /policy 'most'/],
    [{ codec: 'lz5' }, /lz5/],
    [{ codec: { id: 'zvc', level: 9 } }, /unknown field 'level'/],
    [{ codec: { id: 'zlib', params: { levle: 1 } } }, /levle/],
    [{ budget: 0 }, /budget/],
    [{ budget: '12 parsecs' }, /budget/],
    [{ link: 'pcie9' }, /pcie9/],
    [{ link: { name: 'x', bytesPerSecond: -1, latencySeconds: 0 } }, /link/],
    [{ hostStore: 'disk' }, /hostStore/],
    [{ prefetchAhead: 1.5 }, /prefetchAhead/],
  ];
  for (const [o, re] of bad) {
    assert.throws(
      () => memoryConfig(o as MemoryOptions),
      (e: unknown) => {
        assert.ok(e instanceof InvalidArgumentError, `${JSON.stringify(o)}: ${String(e)}`);
        assert.match((e as Error).message, re);
        return true;
      },
    );
  }
});

test("a codec a program registers cannot be the offload codec: createMemoryManager says why (the engine's thread lacks it)", async () => {
  registerCodec({
    ...noneCodec,
    id: 'program-none',
    containerId: 231,
    description: 'a copy of none',
  });
  assert.ok(memoryConfig({ codec: 'program-none' }), 'the registry of this thread knows it');
  await assert.rejects(
    createMemoryManager(getModel('nin-small'), 2, { policy: 'all', codec: 'program-none' }),
    (e: unknown) =>
      e instanceof InvalidArgumentError &&
      /codec 'program-none' cannot be the offload codec: the transfer engine runs in a worker thread/.test(
        e.message,
      ),
  );
});
