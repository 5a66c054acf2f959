/**
 * Streaming containers: node:stream Transforms that encode raw tensor bytes
 * into a container chunk by chunk, and decode a container into raw chunk
 * bytes as its frames arrive. Input may be split anywhere. Memory stays at
 * about one chunk (raw plus encoded) whatever the tensor size.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { CdmaError, CorruptDataError, InvalidArgumentError } from '../../errors.js';
import { DTYPE_BYTES, type Codec } from '../codec.js';
import { crc32 } from './crc32.js';
import { ContainerCorruptError, type CorruptReason } from './errors.js';
import {
  FIXED_HEADER_BYTES,
  FRAME_HEADER_BYTES,
  MAGIC,
  MAX_HEADER_BYTES,
  chunkElementsAt,
  decodeHeader,
  encodeHeader,
  hex32,
  type ContainerHeader,
} from './format.js';
import type { CodecResolver } from './reader.js';

/** Bytes received but not yet consumed, taken from the front in exact amounts. */
class ByteQueue {
  private parts: Buffer[] = [];
  length = 0;

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.parts.push(b);
    this.length += b.length;
  }

  /** The first `n` bytes (n <= length), without consuming them. */
  peek(n: number): Buffer {
    if (this.parts.length > 1 && this.parts[0].length < n) this.parts = [Buffer.concat(this.parts)];
    return this.parts[0].subarray(0, n);
  }

  /** Removes and returns the first `n` bytes (n <= length). */
  take(n: number): Buffer {
    const out = this.peek(n);
    const first = this.parts[0];
    if (first.length === n) this.parts.shift();
    else this.parts[0] = first.subarray(n);
    this.length -= n;
    return out;
  }
}

/**
 * A Transform taking the raw bytes of the tensor `header` describes (in codec
 * layout order) and giving the container's bytes.
 */
export function createContainerEncoder(header: ContainerHeader, codec: Codec): Transform {
  const eb = DTYPE_BYTES[header.dtype];
  const expected = header.elements * eb;
  const chunkRaw = header.chunkElements * eb;
  const pending = new ByteQueue();
  let received = 0;
  let chunk = 0;
  let scratch: Uint8Array | undefined;

  const frame = (raw: Uint8Array): Buffer => {
    const worst = codec.maxEncodedSize(raw.length, eb);
    if (!scratch || scratch.length < FRAME_HEADER_BYTES + worst)
      scratch = new Uint8Array(FRAME_HEADER_BYTES + worst);
    const target = scratch.subarray(FRAME_HEADER_BYTES);
    const payload = codec.encode(raw, eb, target);
    if (payload.buffer !== target.buffer || payload.byteOffset !== target.byteOffset)
      target.set(payload);
    const view = new DataView(scratch.buffer, scratch.byteOffset, FRAME_HEADER_BYTES);
    view.setUint32(0, payload.length, true);
    const crc = crc32(target.subarray(0, payload.length), crc32(scratch.subarray(0, 4)));
    view.setUint32(4, crc, true);
    chunk++;
    return Buffer.from(scratch.subarray(0, FRAME_HEADER_BYTES + payload.length));
  };

  return new Transform({
    construct(callback) {
      const head = new Uint8Array(header.headerBytes);
      encodeHeader(header, head);
      this.push(head);
      callback();
    },
    transform(data: Buffer, _enc, callback: TransformCallback) {
      received += data.length;
      if (received > expected)
        return callback(
          new InvalidArgumentError(`got more than the ${expected} bytes the tensor has`),
        );
      pending.push(data);
      try {
        while (pending.length >= chunkRaw && chunk < header.chunkCount)
          this.push(frame(pending.take(chunkRaw)));
      } catch (e) {
        return callback(e as Error);
      }
      callback();
    },
    flush(callback: TransformCallback) {
      if (received !== expected)
        return callback(
          new InvalidArgumentError(`got ${received} bytes; the tensor has ${expected}`),
        );
      try {
        if (pending.length > 0) this.push(frame(pending.take(pending.length)));
      } catch (e) {
        return callback(e as Error);
      }
      callback();
    },
  });
}

/**
 * A Transform taking a container's bytes and giving the tensor's raw bytes,
 * one decoded chunk at a time, in codec layout order. It emits 'header' with
 * the ContainerHeader before the first data (shape, dtype, layouts). Checks exactly what the one-shot reader checks, as data arrives.
 */
export function createContainerDecoder(resolve: CodecResolver): Transform {
  const pending = new ByteQueue();
  let header: ContainerHeader | undefined;
  let codec: Codec | undefined;
  let expansion = 0;
  let chunk = 0;
  let offset = 0;
  const fail = (reason: CorruptReason, msg: string, at?: number): ContainerCorruptError =>
    new ContainerCorruptError(reason, msg, at);

  /** Parses what it can; returns false when it needs more bytes. */
  const step = (t: Transform): boolean => {
    if (!header) {
      if (pending.length >= 4 && MAGIC.some((b, i) => pending.peek(4)[i] !== b))
        throw fail('bad-magic', 'bad magic (expected "CDMA")');
      if (pending.length < FIXED_HEADER_BYTES) return false;
      const size = pending.peek(FIXED_HEADER_BYTES).readUInt16LE(6);
      // An out-of-range length is reported from the fixed part, without waiting for it.
      const need =
        size >= FIXED_HEADER_BYTES + 4 && size <= MAX_HEADER_BYTES ? size : FIXED_HEADER_BYTES;
      if (pending.length < need) return false;
      const h = decodeHeader(pending.peek(need));
      pending.take(h.headerBytes);
      offset = h.headerBytes;
      try {
        codec = resolve(h.codec, h.params);
      } catch (e) {
        if (e instanceof CdmaError)
          throw fail('bad-header', `codec ${h.codec} rejects its stored parameters: ${e.message}`);
        throw e;
      }
      expansion = codec.maxExpansion(DTYPE_BYTES[h.dtype]);
      header = h;
      t.emit('header', h);
      return true;
    }
    if (chunk >= header.chunkCount) {
      if (pending.length > 0)
        throw fail(
          'trailing-bytes',
          `${pending.length} unexpected bytes after the last chunk (at offset ${offset})`,
        );
      return false;
    }
    if (pending.length < FRAME_HEADER_BYTES) return false;
    const eb = DTYPE_BYTES[header.dtype];
    const frameHead = pending.peek(FRAME_HEADER_BYTES);
    const len = frameHead.readUInt32LE(0);
    const raw = chunkElementsAt(header, chunk) * eb;
    if (len > codec!.maxEncodedSize(raw, eb) || raw > len * expansion)
      throw fail(
        'bad-chunk-size',
        `chunk ${chunk}: a payload of ${len} bytes is impossible for ${raw} raw bytes`,
        chunk,
      );
    if (pending.length < FRAME_HEADER_BYTES + len) return false;
    const frame = pending.take(FRAME_HEADER_BYTES + len);
    const stored = frame.readUInt32LE(4);
    const payload = frame.subarray(FRAME_HEADER_BYTES);
    const actual = crc32(payload, crc32(frame.subarray(0, 4)));
    if (stored !== actual)
      throw fail(
        'chunk-checksum',
        `chunk ${chunk} checksum mismatch (stored ${hex32(stored)}, computed ${hex32(actual)})`,
        chunk,
      );
    let decoded: Uint8Array;
    try {
      decoded = codec!.decode(payload, eb, raw);
    } catch (e) {
      if (e instanceof CorruptDataError)
        throw fail('bad-chunk-data', `chunk ${chunk}: ${e.message}`, chunk);
      throw e;
    }
    if (decoded.length !== raw)
      throw fail(
        'bad-chunk-data',
        `chunk ${chunk} decoded to ${decoded.length} bytes instead of ${raw}`,
        chunk,
      );
    t.push(Buffer.from(decoded.buffer, decoded.byteOffset, decoded.length));
    offset += frame.length;
    chunk++;
    return true;
  };

  return new Transform({
    transform(data: Buffer, _enc, callback: TransformCallback) {
      pending.push(data);
      try {
        while (step(this));
      } catch (e) {
        return callback(e as Error);
      }
      callback();
    },
    flush(callback: TransformCallback) {
      if (!header)
        return callback(
          pending.length >= 4 && MAGIC.some((b, i) => pending.peek(4)[i] !== b)
            ? fail('bad-magic', 'bad magic (expected "CDMA")')
            : fail('truncated', `truncated header: the stream ended after ${pending.length} bytes`),
        );
      if (chunk < header.chunkCount)
        return callback(
          fail(
            'truncated',
            `truncated at chunk ${chunk}: the stream ended with ${header.chunkCount - chunk} chunks missing`,
            chunk,
          ),
        );
      callback();
    },
  });
}
