/**
 * Training checkpoints that let an interrupted study resume exactly where it
 * stopped: every parameter, its SGD momentum, the batchnorm buffers and the
 * next step index, so the resumed run computes the same weights as an
 * uninterrupted one.
 *
 * File: "CDMACKPT" (8 bytes), format version (u32 LE), header length (u32
 * LE), header (UTF-8 JSON: model, step, seed, entries with name, part and
 * shape), CRC-32 of everything after it (u32 LE), then each entry's float32
 * values in order. Reading trusts nothing: sizes, names and shapes must match
 * the executor's own, and the checksum must hold.
 */
import * as tf from '@tensorflow/tfjs-core';
import { crc32 } from '../codec/container/crc32.js';
import { InputFileError } from '../errors.js';
import { FILE_LIMITS } from '../io/limits.js';
import { readBounded } from '../io/read.js';
import { writeOutput } from '../io/write.js';
import type { Buffer as ModelBuffer, Param } from '../nn/param.js';

const MAGIC = 'CDMACKPT';
const VERSION = 1;
const MAX_HEADER_BYTES = 16 * 1024 * 1024;
const PREAMBLE_BYTES = 20;

interface Entry {
  readonly name: string;
  readonly part: 'param' | 'momentum' | 'buffer';
  readonly shape: number[];
}

interface Header {
  readonly model: string;
  readonly step: number;
  readonly seed: number;
  readonly entries: Entry[];
}

export interface CheckpointState {
  readonly model: string;
  /** The next step index to run. */
  readonly step: number;
  readonly seed: number;
}

function tensorsOf(
  params: readonly Param[],
  buffers: readonly ModelBuffer[],
): { entry: Entry; t: tf.Tensor | undefined }[] {
  return [
    ...params.map((p) => ({
      entry: { name: p.name, part: 'param' as const, shape: [...p.value.shape] },
      t: p.value as tf.Tensor,
    })),
    ...params.map((p) => ({
      entry: { name: p.name, part: 'momentum' as const, shape: [...p.value.shape] },
      t: p.slots[0],
    })),
    ...buffers.map((b) => ({
      entry: { name: b.name, part: 'buffer' as const, shape: [...b.value.shape] },
      t: b.value as tf.Tensor,
    })),
  ];
}

/**
 * Writes a checkpoint whole or not at all (src/io/write.ts). A parameter
 * without momentum yet stores zeros. The values are read with data(), which
 * every backend has (webgpu has no synchronous readback).
 */
export async function writeCheckpoint(
  path: string,
  state: CheckpointState,
  params: readonly Param[],
  buffers: readonly ModelBuffer[],
): Promise<void> {
  const items = tensorsOf(params, buffers);
  const header: Header = {
    model: state.model,
    step: state.step,
    seed: state.seed,
    entries: items.map((i) => i.entry),
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const sizes = items.map((i) => i.entry.shape.reduce((p, d) => p * d, 1));
  const payload = new Float32Array(sizes.reduce((s, n) => s + n, 0));
  let off = 0;
  for (let k = 0; k < items.length; k++) {
    const t = items[k].t;
    if (t) payload.set((await t.data()) as Float32Array, off);
    off += sizes[k];
  }
  const values = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  const pre = Buffer.alloc(PREAMBLE_BYTES);
  pre.write(MAGIC, 0, 'latin1');
  pre.writeUInt32LE(VERSION, 8);
  pre.writeUInt32LE(headerBytes.length, 12);
  pre.writeUInt32LE(crc32(values, crc32(headerBytes)) >>> 0, 16);
  writeOutput(path, [pre, headerBytes, values], { what: 'checkpoint' });
}

function sameShape(stored: unknown, shape: readonly number[]): boolean {
  return (
    Array.isArray(stored) &&
    stored.length === shape.length &&
    stored.every((d, i) => d === shape[i])
  );
}

function bad(path: string, why: string): never {
  throw new InputFileError(
    `checkpoint ${path} ${why}; delete it (the model restarts) or use --fresh`,
  );
}

/**
 * Reads a checkpoint into the given parameters, momentum slots and buffers,
 * which must be exactly the ones it was written from (same names and shapes).
 * Returns its state; any mismatch or damage is an InputFileError.
 */
export function readCheckpoint(
  path: string,
  params: readonly Param[],
  buffers: readonly ModelBuffer[],
): CheckpointState {
  const bytes = readBounded(path, { what: 'checkpoint', maxBytes: FILE_LIMITS.checkpoint });
  if (bytes.length < PREAMBLE_BYTES || bytes.toString('latin1', 0, 8) !== MAGIC)
    bad(path, 'is not a cdma study checkpoint');
  if (bytes.readUInt32LE(8) !== VERSION)
    bad(path, `has format version ${bytes.readUInt32LE(8)}, not ${VERSION}`);
  const headerLength = bytes.readUInt32LE(12);
  if (headerLength > MAX_HEADER_BYTES)
    bad(path, `has a header of ${headerLength} bytes, over the ${MAX_HEADER_BYTES} allowed`);
  if (PREAMBLE_BYTES + headerLength > bytes.length) bad(path, 'is truncated');
  const body = bytes.subarray(PREAMBLE_BYTES);
  if (crc32(body) >>> 0 !== bytes.readUInt32LE(16)) bad(path, 'is corrupt (checksum mismatch)');
  let header: Header;
  try {
    header = JSON.parse(body.toString('utf8', 0, headerLength)) as Header;
  } catch {
    bad(path, 'has an unreadable header');
  }
  const items = tensorsOf(params, buffers);
  if (
    typeof header !== 'object' ||
    header === null ||
    typeof header.model !== 'string' ||
    !Number.isSafeInteger(header.step) ||
    header.step < 0 ||
    !Number.isSafeInteger(header.seed) ||
    header.seed < 0 ||
    !Array.isArray(header.entries) ||
    header.entries.length !== items.length
  ) {
    bad(path, 'does not match this model');
  }
  items.forEach((item, k) => {
    const e = header.entries[k];
    if (
      typeof e !== 'object' ||
      e === null ||
      e.name !== item.entry.name ||
      e.part !== item.entry.part ||
      !sameShape(e.shape, item.entry.shape)
    ) {
      bad(path, `does not match this model at ${item.entry.part} ${item.entry.name}`);
    }
  });
  const sizes = items.map((i) => i.entry.shape.reduce((p, d) => p * d, 1));
  const total = sizes.reduce((s, n) => s + n, 0);
  const data = body.subarray(headerLength);
  if (data.length !== total * 4)
    bad(path, `holds ${data.length} value bytes, the model needs ${total * 4}`);
  const values = new Float32Array(total);
  new Uint8Array(values.buffer).set(data);
  let off = 0;
  items.forEach((item, k) => {
    const v = tf.tensor(values.subarray(off, off + sizes[k]), item.entry.shape, 'float32');
    off += sizes[k];
    if (item.entry.part === 'param') {
      params.find((p) => p.name === item.entry.name)?.value.assign(v);
      v.dispose();
    } else if (item.entry.part === 'buffer') {
      buffers.find((b) => b.name === item.entry.name)?.value.assign(v);
      v.dispose();
    } else {
      const p = params.find((q) => q.name === item.entry.name) as Param;
      for (const s of p.slots) s.dispose();
      p.slots = [v];
    }
  });
  return { model: header.model, step: header.step, seed: header.seed };
}
