/**
 * The DMA engine: a worker thread that compresses what the compute thread
 * offloads, sends it over the modelled link into the host store, and brings
 * it back (fetch, verify, link, decompress) on prefetch. Jobs run one at a
 * time in arrival order, like one copy engine; the link is enforced by
 * sleeping (Atomics.wait) until latency + bytes / bandwidth has passed since
 * the job started, so codec work overlaps the link as in a streaming engine.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { codecDescriptor, getCodec } from '../codec/registry.js';
import type { Codec } from '../codec/codec.js';
import { CdmaError } from '../errors.js';
import { RamHostStore, SpillHostStore, type HostStore } from './host-store.js';
import type {
  EngineConfig,
  EngineReply,
  EngineRequest,
  ElementBytes,
} from './transfer-protocol.js';
import { countNonZero } from '../codec/nonzero.js';

const port = parentPort;
if (!port) throw new Error('transfer-worker.ts must run as a worker thread');
const config = workerData as EngineConfig;

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
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

interface Stored {
  readonly rawBytes: number;
  readonly elementBytes: ElementBytes;
}

let codec: Codec;
let store: HostStore;
const stored = new Map<number, Stored>();
let scratch = new Uint8Array(0);

function send(msg: EngineReply): void {
  port!.postMessage(msg);
}

/**
 * The element width the codec encodes entries of `elementBytes` with, or
 * undefined when they are stored as their raw bytes: widths the codec does
 * not take (1-byte tensors), and codecs whose payload is the raw bytes (none).
 */
function codedWidth(elementBytes: ElementBytes): 2 | 4 | undefined {
  const d = codecDescriptor(codec.id);
  if (elementBytes === 1 || d.rawPayload === true || !d.elementBytes.includes(elementBytes))
    return undefined;
  return elementBytes;
}

/** The encoded bytes, owned (src is a staging buffer the compute thread reuses). */
function encodeFor(src: Uint8Array, elementBytes: ElementBytes): Uint8Array {
  const width = codedWidth(elementBytes);
  if (width === undefined) return src.slice();
  const max = codec.maxEncodedSize(src.byteLength, width);
  if (scratch.byteLength < max) scratch = new Uint8Array(max);
  return codec.encode(src, width, scratch).slice();
}

/** Non-zero elements: read off the encoded size where the codec's size gives it (zvc), else counted. */
function nonZeroOf(src: Uint8Array, elementBytes: 2 | 4, encodedBytes: number): number {
  const fromSize = codecDescriptor(codec.id).nonZeroFromSize;
  if (fromSize !== undefined && codedWidth(elementBytes) !== undefined)
    return fromSize(encodedBytes, src.byteLength / elementBytes, elementBytes);
  return countNonZero(src, elementBytes);
}

function offload(r: Extract<EngineRequest, { type: 'offload' }>): EngineReply {
  const start = nowEpochMs();
  const src = new Uint8Array(r.buffer, r.byteOffset, r.byteLength);
  const t0 = performance.now();
  const encoded = encodeFor(src, r.elementBytes);
  const nonZero = r.elementBytes === 1 ? -1 : nonZeroOf(src, r.elementBytes, encoded.byteLength);
  store.put(r.key, encoded);
  stored.set(r.key, { rawBytes: r.byteLength, elementBytes: r.elementBytes });
  const codecMs = performance.now() - t0;
  const lm = linkMs(encoded.byteLength);
  sleepUntil(start + lm);
  return {
    type: 'done',
    op: r.op,
    rawBytes: r.byteLength,
    linkBytes: encoded.byteLength,
    nonZero,
    timing: { startEpochMs: start, endEpochMs: nowEpochMs(), codecMs, linkMs: lm },
  };
}

function prefetch(r: Extract<EngineRequest, { type: 'prefetch' }>): EngineReply {
  const start = nowEpochMs();
  const meta = stored.get(r.key);
  if (!meta) {
    throw new CdmaError('TRANSFER_ENGINE', `prefetch of entry ${r.key} that was never offloaded`);
  }
  if (meta.rawBytes !== r.byteLength) {
    throw new CdmaError(
      'TRANSFER_ENGINE',
      `prefetch of entry ${r.key} into ${r.byteLength} bytes, but it holds ${meta.rawBytes}`,
    );
  }
  const dest = new Uint8Array(r.buffer, r.byteOffset, r.byteLength);
  const t0 = performance.now();
  const bytes = store.get(r.key);
  const width = codedWidth(meta.elementBytes);
  if (width === undefined) {
    if (bytes.byteLength !== r.byteLength) {
      throw new CdmaError('CORRUPT_DATA', `host entry ${r.key} has the wrong length`);
    }
    dest.set(bytes);
  } else {
    codec.decode(bytes, width, r.byteLength, dest);
  }
  const codecMs = performance.now() - t0;
  const lm = linkMs(bytes.byteLength);
  sleepUntil(start + lm);
  return {
    type: 'done',
    op: r.op,
    rawBytes: r.byteLength,
    linkBytes: bytes.byteLength,
    nonZero: -1,
    timing: { startEpochMs: start, endEpochMs: nowEpochMs(), codecMs, linkMs: lm },
  };
}

function failure(op: number, e: unknown): EngineReply {
  if (e instanceof CdmaError) return { type: 'failed', op, code: e.code, message: e.message };
  const message = e instanceof Error ? e.message : String(e);
  return { type: 'failed', op, code: 'TRANSFER_ENGINE', message: `transfer engine: ${message}` };
}

function handle(r: EngineRequest): void {
  switch (r.type) {
    case 'offload':
    case 'prefetch':
      try {
        send(r.type === 'offload' ? offload(r) : prefetch(r));
      } catch (e) {
        send(failure(r.op, e));
      }
      return;
    case 'drop':
      try {
        for (const key of r.keys) {
          stored.delete(key);
          store.delete(key);
        }
      } catch (e) {
        send(failure(0, e));
      }
      return;
    case 'fault':
      if (r.kind === 'exit') process.exit(70);
      throw new Error('injected fault: the transfer engine crashed');
    case 'close':
      store.close();
      stored.clear();
      send({ type: 'closed', op: r.op });
      port!.close();
      return;
  }
}

try {
  codec = getCodec(config.codec.id, config.codec.params);
  store =
    config.hostStore.kind === 'spill'
      ? new SpillHostStore(config.hostStore.dir, undefined, config.hostStore.privateDir)
      : new RamHostStore();
  port.on('message', handle);
  send({ type: 'ready' });
} catch (e) {
  send(failure(0, e));
  port.close();
}
