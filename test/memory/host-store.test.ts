import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { withTempDirSync } from '../helpers/tmp.js';
import { join } from 'node:path';
import {
  RamHostStore,
  SpillHostStore,
  nodeSpillIo,
  SPILL_HEADER_BYTES,
  type SpillIo,
} from '../../src/memory/host-store.js';
import { HostStoreError } from '../../src/memory/errors.js';
import { CorruptDataError } from '../../src/errors.js';

const bytes = (n: number, seed = 1) => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7) & 0xff;
  return b;
};

const withDir = (f: (dir: string) => void): void => withTempDirSync(f, 'host-test');

test('RAM store keeps, returns and frees entries', () => {
  const s = new RamHostStore();
  s.put(1, bytes(100));
  s.put(2, bytes(50, 2));
  assert.equal(s.bytes, 150);
  assert.equal(s.entries, 2);
  assert.deepEqual(s.get(2), bytes(50, 2));
  s.delete(1);
  assert.equal(s.bytes, 50);
  assert.throws(() => s.get(1), HostStoreError);
  assert.throws(() => s.put(2, bytes(1)), HostStoreError);
});

test('RAM store detects an entry changed after it was stored', () => {
  const s = new RamHostStore();
  const b = bytes(64);
  s.put(7, b);
  b[10] ^= 1; // a stray write into host memory
  assert.throws(() => s.get(7), CorruptDataError);
});

test('spill store round-trips through files and removes them', () => {
  withDir((dir) => {
    const s = new SpillHostStore(dir);
    s.put(1, bytes(1000));
    s.put(2, new Uint8Array(0));
    assert.equal(readdirSync(s.dir).length, 2);
    assert.deepEqual(s.get(1), bytes(1000));
    assert.equal(s.get(2).byteLength, 0);
    s.delete(1);
    assert.equal(readdirSync(s.dir).length, 1);
    assert.equal(s.bytes, 0);
    s.close();
    assert.equal(existsSync(s.dir), false);
    assert.deepEqual(readdirSync(dir), []);
  });
});

test('a corrupted, truncated or swapped spill file is a CorruptDataError', () => {
  withDir((dir) => {
    const s = new SpillHostStore(dir);
    s.put(1, bytes(500, 1));
    s.put(2, bytes(500, 2));
    const f1 = join(s.dir, '1.spill');
    const f2 = join(s.dir, '2.spill');
    const good1 = readFileSync(f1);
    const good2 = readFileSync(f2);

    const flipped = Buffer.from(good1);
    flipped[SPILL_HEADER_BYTES + 123] ^= 0x10;
    writeFileSync(f1, flipped);
    assert.throws(
      () => s.get(1),
      (e: unknown) => e instanceof CorruptDataError && /CRC-32/.test((e as Error).message),
    );

    writeFileSync(f1, good1.subarray(0, good1.length - 1));
    assert.throws(() => s.get(1), CorruptDataError);

    writeFileSync(f1, good2); // another entry's (valid) file
    assert.throws(() => s.get(1), CorruptDataError);

    const badMagic = Buffer.from(good1);
    badMagic[0] = 0;
    writeFileSync(f1, badMagic);
    assert.throws(() => s.get(1), CorruptDataError);

    writeFileSync(f1, good1);
    assert.deepEqual(s.get(1), bytes(500, 1));
    assert.deepEqual(s.get(2), bytes(500, 2));
    void good2;
    s.close();
  });
});

test('a full disk is a HostStoreError that says so, and leaves no partial file', () => {
  withDir((dir) => {
    const full: SpillIo = {
      ...nodeSpillIo,
      write(path, header, data) {
        writeFileSync(path, header); // partly written, then the disk fills
        void data;
        const e = new Error('ENOSPC: no space left on device') as NodeJS.ErrnoException;
        e.code = 'ENOSPC';
        throw e;
      },
    };
    const s = new SpillHostStore(dir, full);
    assert.throws(
      () => s.put(1, bytes(100)),
      (e: unknown) => e instanceof HostStoreError && /is full/.test((e as Error).message),
    );
    assert.deepEqual(readdirSync(s.dir), []);
    assert.equal(s.entries, 0);
    s.close();
  });
});

test('a vanished spill directory fails writes and reads with a HostStoreError', () => {
  withDir((dir) => {
    const s = new SpillHostStore(dir);
    s.put(1, bytes(10));
    rmSync(s.dir, { recursive: true });
    assert.throws(() => s.put(2, bytes(10)), HostStoreError);
    assert.throws(() => s.get(1), HostStoreError);
  });
});

test('the host store directory must exist', () => {
  assert.throws(() => new SpillHostStore('/nonexistent/cdma/dir'), HostStoreError);
  withDir((dir) => {
    const file = join(dir, 'f');
    writeFileSync(file, 'x');
    assert.throws(() => new SpillHostStore(file), HostStoreError);
  });
});
