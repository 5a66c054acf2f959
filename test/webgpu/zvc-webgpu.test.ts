// ZVC on the GPU (src/webgpu/zvc.ts): the WGSL kernels produce exactly the
// CPU codec's bytes and decode them back bit for bit, on whatever WebGPU
// adapter there is (llvmpipe on a machine without a GPU); without one the
// tests skip and say why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getCodec } from '../../src/codec/registry.js';
import { zvcEncodeTs } from '../../src/codec/zvc-ts.js';
import { zvcMaxSize } from '../../src/codec/zvc-format.js';
import { CorruptDataError } from '../../src/errors.js';
import { requestWebGpuDevice, webgpuAvailable } from '../../src/webgpu/adapter.js';
import { GpuZvc, readBuffer, uploadBuffer, zvcSuperblockIndex } from '../../src/webgpu/zvc.js';

const available = await webgpuAvailable();
const device = available.ok ? await requestWebGpuDevice() : null;
const zvc = device ? new GpuZvc(device) : null;

/** Deterministic words: zero with probability 1 - density, else a pattern from `special` or the generator. */
function words(
  n: number,
  density: number,
  eb: 2 | 4,
  seed: number,
  special: number[] = [],
): Uint8Array {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  const bytes = new Uint8Array(n * eb);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < n; i++) {
    if (next() / 2 ** 32 >= density) continue;
    let v = special.length > 0 && next() % 3 === 0 ? special[next() % special.length] : next();
    if (eb === 2) v &= 0xffff;
    if (v === 0) v = 1;
    if (eb === 4) dv.setUint32(i * 4, v, true);
    else dv.setUint16(i * 2, v, true);
  }
  return bytes;
}

const SPECIAL32 = [
  0x80000000, // -0.0
  0x7fc00001, // NaN with a payload
  0xffbfffff, // negative signalling-range NaN
  0x00000001, // smallest denormal
  0x807fffff, // largest negative denormal
  0x7f800000, // +inf
];
const SPECIAL16 = [0x8000, 0x7e01, 0x0001, 0x83ff, 0x7c00];

function cpuEncode(bytes: Uint8Array, eb: 2 | 4): Uint8Array {
  const out = new Uint8Array(zvcMaxSize(bytes.length / eb, eb));
  return out.slice(0, zvcEncodeTs(bytes, eb, out));
}

async function roundTrip(bytes: Uint8Array, eb: 2 | 4, label: string): Promise<void> {
  assert.ok(device && zvc);
  const n = bytes.length / eb;
  const src = uploadBuffer(device, bytes, GPUBufferUsage.STORAGE);
  try {
    const gpu = await zvc.encodeToHost(src, n, eb);
    const cpu = cpuEncode(bytes, eb);
    assert.equal(gpu.length, cpu.length, `${label}: encoded size`);
    assert.ok(
      Buffer.from(gpu).equals(Buffer.from(cpu)),
      `${label}: encoded bytes differ from the CPU codec's`,
    );
    // The registry's codec (the one the container uses) gives the same bytes.
    assert.ok(
      Buffer.from(getCodec('zvc').encode(bytes, eb)).equals(Buffer.from(gpu)),
      `${label}: registry codec`,
    );
    const out = zvc.decodeFromHost(cpu, n, eb);
    try {
      const back = await readBuffer(device, out, bytes.length);
      assert.ok(Buffer.from(back).equals(Buffer.from(bytes)), `${label}: decoded bytes differ`);
    } finally {
      out.destroy();
    }
  } finally {
    src.destroy();
  }
}

const SIZES = [0, 1, 2, 31, 32, 33, 63, 64, 65, 255, 256, 257, 1023, 1025, 8191, 33 * 1024 + 7];
const DENSITIES = [0, 0.03, 0.5, 1];

for (const eb of [4, 2] as const) {
  test(`gpu zvc ${eb * 8}-bit: the CPU codec's bytes over sizes and densities, and back`, async (t) => {
    if (!zvc) {
      t.skip(available.ok ? 'no device' : available.reason);
      return;
    }
    let seed = 7;
    for (const n of SIZES) {
      for (const d of DENSITIES) {
        await roundTrip(
          words(n, d, eb, seed++, eb === 4 ? SPECIAL32 : SPECIAL16),
          eb,
          `n=${n} density=${d}`,
        );
      }
    }
  });
}

test('gpu zvc: special values alone (-0.0, NaN payloads, denormals) and a partial block', async (t) => {
  if (!zvc) {
    t.skip(available.ok ? 'no device' : available.reason);
    return;
  }
  const f32 = new Uint32Array([...SPECIAL32, 0, 0, ...SPECIAL32, 0x3f800000]);
  await roundTrip(new Uint8Array(f32.buffer), 4, 'special 32-bit');
  const f16 = new Uint16Array([...SPECIAL16, 0, ...SPECIAL16, 0, 0x3c00]);
  await roundTrip(new Uint8Array(f16.buffer), 2, 'special 16-bit');
});

test('gpu zvc: a large tensor past one scan level (2^20 + 3 elements)', async (t) => {
  if (!zvc) {
    t.skip(available.ok ? 'no device' : available.reason);
    return;
  }
  // 32,769 blocks: three levels of 256-value scans.
  await roundTrip(words((1 << 20) + 3, 0.4, 4, 99, SPECIAL32), 4, 'large 32-bit');
  await roundTrip(words((1 << 20) + 3, 0.6, 2, 98, SPECIAL16), 2, 'large 16-bit');
});

test('gpu zvc decode refuses what the CPU decoder refuses', () => {
  // Host-side checks; they run with or without an adapter.
  const ok = cpuEncode(new Uint8Array(new Float32Array([1, 0, 2]).buffer), 4);
  assert.deepEqual([...zvcSuperblockIndex(ok, 3, 4)], [0]);
  assert.throws(() => zvcSuperblockIndex(ok.subarray(0, ok.length - 4), 3, 4), CorruptDataError);
  const extra = new Uint8Array(ok.length + 4);
  extra.set(ok);
  assert.throws(() => zvcSuperblockIndex(extra, 3, 4), /bytes follow/);
  const past = ok.slice();
  past[0] |= 0x10; // bit 4 of a 3-element block
  assert.throws(() => zvcSuperblockIndex(past, 3, 4), /past the end/);
  assert.throws(() => zvcSuperblockIndex(new Uint8Array(3), 1, 2), CorruptDataError);
  // 40 blocks: the second superblock starts after the first 32 blocks.
  const big = new Float32Array(40 * 32).fill(1);
  assert.deepEqual(
    [...zvcSuperblockIndex(cpuEncode(new Uint8Array(big.buffer), 4), big.length, 4)],
    [0, 32 * 132],
  );
});

test('gpu zvc: block marks are where the CPU codec cuts a payload into chunks, and decode fills a given buffer', async (t) => {
  if (!zvc || !device) {
    t.skip(available.ok ? 'no device' : available.reason);
    return;
  }
  const n = 3 * 1024 + 77;
  const bytes = words(n, 0.4, 4, 99);
  const marks = [1, 32, 33, 64, 98];
  const src = uploadBuffer(device, bytes, GPUBufferUsage.STORAGE);
  try {
    const p = await zvc.encode(src, n, 4, marks);
    try {
      // ZVC blocks are independent: the CPU codec's bytes of blocks [0, m) are the payload up to the mark.
      for (let i = 0; i < marks.length; i++)
        assert.equal(
          p.marks[i],
          cpuEncode(bytes.subarray(0, marks[i] * 32 * 4), 4).length,
          `mark ${marks[i]}`,
        );
      await assert.rejects(zvc.encode(src, n, 4, [Math.ceil(n / 32)]), /outside/);
      const payload = await readBuffer(device, p.buffer, p.byteLength);
      const into = device.createBuffer({
        size: n * 4,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      });
      try {
        const out = zvc.decode(p.buffer, n, 4, zvcSuperblockIndex(payload, n, 4), into);
        assert.equal(out, into);
        assert.deepEqual(await readBuffer(device, into, n * 4), bytes);
      } finally {
        into.destroy();
      }
    } finally {
      p.buffer.destroy();
    }
  } finally {
    src.destroy();
  }
});
