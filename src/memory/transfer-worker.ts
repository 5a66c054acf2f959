/**
 * The DMA engine: a worker thread that takes jobs from the ring
 * (transfer-protocol.ts), sends their bytes over the modelled link into the
 * host store (containers, host-store.ts) and brings them back. Jobs run one
 * at a time in arrival order, like one copy engine; the link is enforced by
 * sleeping (Atomics.wait) until latency + bytes / bandwidth has passed since
 * the job started, so codec and checksum work overlap the link as in a
 * streaming engine.
 *
 * Two kinds of jobs: sealed ones, whose container the compute thread wrote
 * where its codec ran (compression at the source: the engine computes the
 * frame checksums, stores, and on the way back checks the container); and
 * raw ones, for codecs that run here (rle, zlib; bool tensors), which the
 * engine encodes into a container and decodes back.
 *
 * The thread never returns to its event loop while it runs: it sleeps on
 * the ring's HEAD word and reads buffer registrations from its side port
 * synchronously.
 */
import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import {
  receiveMessageOnPort,
  workerData,
  parentPort,
  type MessagePort,
} from 'node:worker_threads';
import { codecDescriptor, getCodec } from '../codec/registry.js';
import type { Codec } from '../codec/codec.js';
import { decodeHeader, FRAME_HEADER_BYTES, makeHeader } from '../codec/container/format.js';
import { writeContainer } from '../codec/container/writer.js';
import { chunkInfo, decodeAllInto, type ParsedContainer } from '../codec/container/reader.js';
import { flatHeader, sealContainer } from '../codec/container/engine-io.js';
import { countNonZero } from '../codec/nonzero.js';
import { CdmaError } from '../errors.js';
import { RamHostStore, SpillHostStore, type HostStore } from './host-store.js';
import {
  CTRL_INTS,
  DONE,
  F,
  HEAD,
  Kind,
  RING_SLOTS,
  SLOT_FIELDS,
  STATUS_FAILED,
  STATUS_OK,
  WANT,
  type EngineWorkerData,
  type SideMessage,
  type StartReply,
} from './transfer-protocol.js';

const port = parentPort;
if (!port) throw new Error('transfer-worker.ts must run as a worker thread');
const config = workerData as EngineWorkerData;
const ctrl = new Int32Array(config.ring, 0, CTRL_INTS);
const slots = new Float64Array(config.ring, CTRL_INTS * 4, RING_SLOTS * SLOT_FIELDS);
/** The side port arrives in the first message (a port cannot travel in workerData here). */
let side: MessagePort;

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** The engine thread's nice value where it cannot be a batch thread (10 of 19: below the compute thread). */
const ENGINE_NICE = 10;
const nowEpochMs = (): number => performance.timeOrigin + performance.now();

function sleepUntil(deadlineEpochMs: number): void {
  for (;;) {
    const left = deadlineEpochMs - nowEpochMs();
    if (left <= 0) return;
    Atomics.wait(sleepCell, 0, 0, left);
  }
}

function linkMs(bytes: number): number {
  const { bytesPerSecond, latencySeconds } = config.link;
  const seconds = latencySeconds + (bytesPerSecond === Infinity ? 0 : bytes / bytesPerSecond);
  return seconds * 1e3;
}

/** What the engine remembers of a raw entry: its size and how it was stored. */
interface RawEntry {
  readonly rawBytes: number;
  /** Stored as a 'none' container of the bytes padded to whole 4-byte words (1-byte elements). */
  readonly padded: boolean;
}

let codec: Codec;
let store: HostStore;
const raw = new Map<number, RawEntry>();
const buffers = new Map<number, SharedArrayBuffer>();

function region(s: number): Uint8Array {
  const id = slots[s + F.buffer];
  let b = buffers.get(id);
  while (b === undefined) {
    const m = receiveMessageOnPort(side)?.message as SideMessage | undefined;
    if (m === undefined) throw new CdmaError('TRANSFER_ENGINE', `job names unknown buffer ${id}`);
    if (m.type === 'buffer') buffers.set(m.id, m.buffer);
    b = buffers.get(id);
  }
  return new Uint8Array(b, slots[s + F.offset], slots[s + F.length]);
}

/** Whether the codec encodes elements of this width (else the bytes are stored as they are). */
function coded(eb: number): boolean {
  const d = codecDescriptor(codec.id);
  return (eb === 2 || eb === 4) && d.rawPayload !== true && d.elementBytes.includes(eb);
}

function nonZeroOf(c: ParsedContainer, src: Uint8Array | undefined): number {
  const fromSize = codecDescriptor(c.header.codec).nonZeroFromSize;
  if (fromSize !== undefined) {
    let nz = 0;
    for (let i = 0; i < c.header.chunkCount; i++) {
      const info = chunkInfo(c, i);
      nz += fromSize(info.compressedBytes, info.elements, c.elementBytes);
    }
    return nz;
  }
  if (src !== undefined) return countNonZero(src, c.elementBytes);
  let nz = 0;
  for (let i = 0; i < c.header.chunkCount; i++) {
    const info = chunkInfo(c, i);
    const at = info.offset + FRAME_HEADER_BYTES;
    nz += countNonZero(c.bytes.subarray(at, at + info.compressedBytes), c.elementBytes);
  }
  return nz;
}

interface Outcome {
  rawBytes: number;
  linkBytes: number;
  nonZero: number;
  codecMs: number;
  /** A sealed offload's container fingerprint (the compute thread may check the container itself). */
  fingerprint?: number;
}

function offloadRaw(s: number): Outcome {
  const key = slots[s + F.key];
  const src = region(s);
  const eb = slots[s + F.arg];
  const t0 = performance.now();
  let container: Uint8Array;
  let padded = false;
  if (eb === 4 || eb === 2) {
    const c = coded(eb) ? codec : getCodec('none');
    const h = makeHeader({
      ...flatHeader(c.id, c.params, [src.byteLength / 4]),
      dtype: eb === 4 ? 'float32' : 'float16',
      shape: [src.byteLength / eb],
      elements: src.byteLength / eb,
    });
    container = writeContainer(h, c, src);
  } else {
    // 1-byte elements (bool): the bytes, padded to whole words, in a 'none' container.
    padded = true;
    const words = Math.ceil(src.byteLength / 4);
    const bytes = new Uint8Array(words * 4);
    bytes.set(src);
    container = writeContainer(flatHeader('none', {}, [words]), getCodec('none'), bytes);
  }
  store.put(key, container);
  raw.set(key, { rawBytes: src.byteLength, padded });
  const nonZero = padded ? -1 : nonZeroOf(store.get(key), src);
  return {
    rawBytes: src.byteLength,
    linkBytes: container.byteLength,
    nonZero,
    codecMs: performance.now() - t0,
  };
}

function offloadSealed(s: number): Outcome {
  const key = slots[s + F.key];
  const bytes = region(s);
  const t0 = performance.now();
  const fingerprint = sealContainer(bytes, decodeHeader(bytes));
  store.put(key, bytes);
  const given = slots[s + F.arg2];
  const nonZero = given >= 0 ? given : nonZeroOf(store.get(key), undefined);
  return {
    rawBytes: slots[s + F.arg],
    linkBytes: bytes.byteLength,
    nonZero,
    codecMs: performance.now() - t0,
    fingerprint,
  };
}

function prefetchRaw(s: number): Outcome {
  const key = slots[s + F.key];
  const meta = raw.get(key);
  if (!meta) {
    throw new CdmaError('TRANSFER_ENGINE', `prefetch of entry ${key} that was never offloaded`);
  }
  const dest = region(s);
  if (meta.rawBytes !== dest.byteLength) {
    throw new CdmaError(
      'TRANSFER_ENGINE',
      `prefetch of entry ${key} into ${dest.byteLength} bytes, but it holds ${meta.rawBytes}`,
    );
  }
  const t0 = performance.now();
  const c = store.get(key);
  if (meta.padded) {
    const all = new Uint8Array(c.rawBytes);
    decodeAllInto(c, all);
    dest.set(all.subarray(0, dest.byteLength));
  } else {
    decodeAllInto(c, dest);
  }
  return {
    rawBytes: dest.byteLength,
    linkBytes: c.bytes.byteLength,
    nonZero: -1,
    codecMs: performance.now() - t0,
  };
}

function prefetchSealed(s: number): Outcome {
  const key = slots[s + F.key];
  if (raw.has(key)) {
    throw new CdmaError('TRANSFER_ENGINE', `prefetch of entry ${key} that was never offloaded`);
  }
  const dest = region(s);
  const t0 = performance.now();
  // Checked by the compute thread where it lies (the same checks): not again.
  const trusted = slots[s + F.arg2] === 1 ? store.rawBytesInPlace(key, dest) : -1;
  const rawBytes = trusted >= 0 ? trusted : store.getInto(key, dest).rawBytes;
  return {
    rawBytes,
    linkBytes: dest.byteLength,
    nonZero: -1,
    codecMs: performance.now() - t0,
  };
}

function fail(op: number, e: unknown): void {
  let code = 'TRANSFER_ENGINE';
  let message: string;
  if (e instanceof CdmaError) {
    code = e.code;
    message = e.message;
  } else message = `transfer engine: ${e instanceof Error ? e.message : String(e)}`;
  side.postMessage({ type: 'failed', op, code, message } satisfies SideMessage);
}

/** Publishes job `op`'s completion, waking the compute thread if it waits for it. */
function publish(op: number): void {
  Atomics.store(ctrl, DONE, op);
  const want = Atomics.load(ctrl, WANT);
  if (want !== 0 && want <= op) Atomics.notify(ctrl, DONE);
}

function run(s: number, kind: number): Outcome {
  switch (kind) {
    case Kind.OffloadRaw:
      return offloadRaw(s);
    case Kind.OffloadSealed:
      return offloadSealed(s);
    case Kind.PrefetchRaw:
      return prefetchRaw(s);
    case Kind.PrefetchSealed:
      return prefetchSealed(s);
    default:
      throw new CdmaError('TRANSFER_ENGINE', `unknown job kind ${kind}`);
  }
}

function loop(): void {
  let next = 1;
  for (;;) {
    while (Atomics.load(ctrl, HEAD) < next) Atomics.wait(ctrl, HEAD, next - 1);
    const op = next++;
    const s = (op % RING_SLOTS) * SLOT_FIELDS;
    const kind = slots[s + F.kind];
    if (kind === Kind.Drop) {
      try {
        const key = slots[s + F.key];
        raw.delete(key);
        store.delete(key);
        slots[s + F.status] = STATUS_OK;
      } catch (e) {
        fail(op, e);
        slots[s + F.status] = STATUS_FAILED;
      }
      publish(op);
      continue;
    }
    if (kind === Kind.Fault) {
      if (slots[s + F.arg] === 3) {
        sleepUntil(nowEpochMs() + slots[s + F.arg2]);
        slots[s + F.status] = STATUS_OK;
        publish(op);
        continue;
      }
      if (slots[s + F.arg] === 1) process.exit(70);
      throw new Error('injected fault: the transfer engine crashed');
    }
    if (kind === Kind.Close) {
      try {
        store.close();
      } catch {
        // closing frees what it can; the thread ends either way
      }
      raw.clear();
      slots[s + F.status] = STATUS_OK;
      publish(op);
      return;
    }
    const start = nowEpochMs();
    try {
      const r = run(s, kind);
      const lm = linkMs(r.linkBytes);
      sleepUntil(start + lm);
      slots[s + F.rawBytes] = r.rawBytes;
      slots[s + F.linkBytes] = r.linkBytes;
      slots[s + F.nonZero] = r.nonZero;
      slots[s + F.startEpochMs] = start;
      slots[s + F.endEpochMs] = nowEpochMs();
      slots[s + F.codecMs] = r.codecMs;
      slots[s + F.linkMs] = lm;
      slots[s + F.fingerprint] = r.fingerprint ?? -1;
      slots[s + F.status] = STATUS_OK;
    } catch (e) {
      fail(op, e);
      slots[s + F.status] = STATUS_FAILED;
    }
    publish(op);
  }
}

/**
 * This thread must not take the core from the compute thread that wakes it.
 * On Linux it becomes SCHED_BATCH (chrt): a batch thread never preempts the
 * running thread when it is woken, and keeps its fair share of the CPU when
 * the compute thread waits for it. Where that is unavailable it lowers its
 * own nice value instead (a thread's nice value is its own on Linux), which
 * also makes waking it cheap but gives it less CPU when the compute thread
 * waits. CDMA_ENGINE_SCHED=normal|batch|nice picks one (for measurements).
 */
function lowerPriority(): void {
  const want = process.env.CDMA_ENGINE_SCHED ?? 'batch';
  if (want === 'normal') return;
  if (want === 'batch' && process.platform === 'linux') {
    try {
      const tid = readlinkSync('/proc/thread-self').split('/').pop()!;
      execFileSync('chrt', ['--batch', '--pid', '0', tid], { stdio: 'ignore', timeout: 5000 });
      return;
    } catch {
      // no chrt or no /proc: lower the nice value below
    }
  }
  try {
    setPriority(ENGINE_NICE);
  } catch {
    // not permitted here: normal priority
  }
}

function reply(m: StartReply): void {
  port!.postMessage(m);
}

function start(): void {
  lowerPriority();
  let started = false;
  try {
    codec = getCodec(config.codec.id, config.codec.params);
    store =
      config.hostStore.kind === 'spill'
        ? new SpillHostStore(config.hostStore.dir, undefined, config.hostStore.privateDir)
        : new RamHostStore();
    started = true;
  } catch (e) {
    if (e instanceof CdmaError) reply({ type: 'failed', code: e.code, message: e.message });
    else
      reply({
        type: 'failed',
        code: 'TRANSFER_ENGINE',
        message: e instanceof Error ? e.message : String(e),
      });
    port!.close();
  }
  if (started) {
    reply({ type: 'ready' });
    loop();
    side.close();
    port!.close();
  }
}

port!.once('message', (m: { type: 'init'; side: MessagePort }) => {
  side = m.side;
  start();
});
