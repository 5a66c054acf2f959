import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { withTempDirSync } from '../helpers/tmp.js';
import { join } from 'node:path';
import {
  RamHostStore,
  SpillHostStore,
  nodeSpillIo,
  type SpillIo,
} from '../../src/memory/host-store.js';
import { HostStoreError } from '../../src/memory/errors.js';
import { CorruptDataError } from '../../src/errors.js';
import { compress, decompress, inspect } from '../../src/codec/api.js';
import { decodeAllInto, type ParsedContainer } from '../../src/codec/container/reader.js';

/** A container of n float32 values (a third zero), as the engine stores them. */
const container = (n: number, seed = 1, codec: 'zvc' | 'none' = 'zvc') => {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (i * 31) % 3 === 0 ? 0 : i + seed; // same zeros, other values
  return compress(v, { codec, chunkBytes: 1024 });
};

const valuesOf = (c: ParsedContainer): Float32Array => {
  const out = new Uint8Array(c.rawBytes);
  decodeAllInto(c, out);
  return new Float32Array(out.buffer);
};

const withDir = (f: (dir: string) => void): void => withTempDirSync(f, 'host-test');

test('RAM store keeps, checks, returns and frees containers', () => {
  const s = new RamHostStore();
  const a = container(100);
  const b = container(50, 2, 'none');
  s.put(1, a);
  s.put(2, b);
  assert.equal(s.bytes, a.byteLength + b.byteLength);
  assert.equal(s.entries, 2);
  assert.deepEqual(valuesOf(s.get(2)), decompress(b).data);
  assert.equal(s.lengthOf(1), a.byteLength);
  // Only the entry's own memory is "in place" (the raw bytes of its tensor).
  assert.equal(s.rawBytesInPlace(1, a), 100 * 4);
  assert.equal(s.rawBytesInPlace(1, a.slice()), -1);
  // getInto the entry's own memory copies nothing; into another buffer it copies.
  assert.equal(s.getInto(1, a).bytes, a);
  const other = new Uint8Array(a.byteLength);
  s.getInto(1, other);
  assert.deepEqual(other, a);
  s.delete(1);
  assert.equal(s.bytes, b.byteLength);
  assert.throws(() => s.get(1), HostStoreError);
  assert.throws(() => s.put(2, container(1)), HostStoreError);
  assert.throws(() => s.put(3, new Uint8Array(40)), HostStoreError, 'not a container');
});

test('RAM store detects an entry changed after it was stored', () => {
  const s = new RamHostStore();
  const b = container(64);
  s.put(7, b);
  b[b.length - 2] ^= 1; // a stray write into host memory
  assert.throws(
    () => s.get(7),
    (e: unknown) => e instanceof CorruptDataError && /CRC-32/.test((e as Error).message),
  );
});

test('spill store keeps one container file per entry, readable by cdma inspect, and removes them', () => {
  withDir((dir) => {
    const s = new SpillHostStore(dir);
    const a = container(1000);
    s.put(1, a);
    s.put(2, container(0));
    assert.equal(readdirSync(s.dir).length, 2);
    assert.equal(s.rawBytesInPlace(1, a), -1, 'a spill entry is always read back and checked');
    const file = readFileSync(join(s.dir, '1.cdma'));
    assert.deepEqual(new Uint8Array(file), a, 'the file is the container itself');
    assert.equal(inspect(new Uint8Array(file)).elements, 1000);
    assert.deepEqual(valuesOf(s.get(1)), decompress(a).data);
    const into = new Uint8Array(new SharedArrayBuffer(a.byteLength));
    s.getInto(1, into);
    assert.deepEqual(into, a);
    assert.equal(s.get(2).rawBytes, 0);
    s.delete(1);
    assert.equal(readdirSync(s.dir).length, 1);
    s.close();
    assert.equal(existsSync(s.dir), false);
    assert.deepEqual(readdirSync(dir), []);
  });
});

test('a corrupted, truncated, extended or swapped spill file is a CorruptDataError', () => {
  withDir((dir) => {
    const s = new SpillHostStore(dir);
    s.put(1, container(500, 1));
    s.put(2, container(500, 2));
    const f1 = join(s.dir, '1.cdma');
    const f2 = join(s.dir, '2.cdma');
    const good1 = readFileSync(f1);
    const good2 = readFileSync(f2);
    const dest = new Uint8Array(good1.length);

    const flipped = Buffer.from(good1);
    flipped[flipped.length - 5] ^= 0x10;
    writeFileSync(f1, flipped);
    for (const read of [() => s.get(1), () => s.getInto(1, dest)])
      assert.throws(
        read,
        (e: unknown) =>
          e instanceof CorruptDataError && /spill file .*CRC-32/.test((e as Error).message),
      );

    writeFileSync(f1, good1.subarray(0, good1.length - 1));
    assert.throws(() => s.get(1), CorruptDataError);
    assert.throws(() => s.getInto(1, dest), CorruptDataError);

    writeFileSync(f1, Buffer.concat([good1, Buffer.of(0)]));
    assert.throws(() => s.getInto(1, dest), CorruptDataError);

    writeFileSync(f1, good2); // another entry's (valid) container
    assert.throws(
      () => s.get(1),
      (e: unknown) => e instanceof CorruptDataError && /another entry/.test((e as Error).message),
    );

    const badMagic = Buffer.from(good1);
    badMagic[0] = 0;
    writeFileSync(f1, badMagic);
    assert.throws(() => s.get(1), CorruptDataError);

    writeFileSync(f1, good1);
    assert.deepEqual(valuesOf(s.get(1)), decompress(new Uint8Array(good1)).data);
    assert.deepEqual(valuesOf(s.get(2)), decompress(new Uint8Array(good2)).data);
    s.close();
  });
});

test('a full disk is a HostStoreError that says so, and leaves no partial file', () => {
  withDir((dir) => {
    const full: SpillIo = {
      ...nodeSpillIo,
      write(path, data) {
        writeFileSync(path, data.subarray(0, 10)); // partly written, then the disk fills
        const e = new Error('ENOSPC: no space left on device') as NodeJS.ErrnoException;
        e.code = 'ENOSPC';
        throw e;
      },
    };
    const s = new SpillHostStore(dir, full);
    assert.throws(
      () => s.put(1, container(100)),
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
    s.put(1, container(10));
    rmSync(s.dir, { recursive: true });
    assert.throws(() => s.put(2, container(10)), HostStoreError);
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
