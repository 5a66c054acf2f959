/**
 * The containers written at the source (source-codec.ts on the wasm heap,
 * gpu-source.ts on a WebGPU device): a flat float32-layout container of
 * SOURCE_CHUNK_BYTES chunks whose header depends only on the codec and the
 * tensor's shape. On the way back its structure is checked again, cheaply,
 * before any byte of it is decoded into device memory.
 */
import { zvcMaxSize } from '../codec/zvc-format.js';
import {
  encodeHeader,
  FRAME_HEADER_BYTES,
  type ContainerHeader,
} from '../codec/container/format.js';
import { chunkRawRange, flatHeader } from '../codec/container/engine-io.js';
import { CorruptDataError } from '../errors.js';

/** Raw bytes per container chunk. */
export const SOURCE_CHUNK_BYTES = 1 << 20;

/**
 * V8 copies into and out of a SharedArrayBuffer word by word only when the
 * source and the destination are equally aligned modulo 8; otherwise byte
 * by byte, at a few GB/s instead of memcpy's 10-25 (measured: a 256 KiB
 * copy into a container's first payload took 86 us against 10 us aligned).
 * Tensors in the heap are 8-aligned, so a container is placed in its host
 * block where its first payload is 8-aligned.
 */
export const ALIGN = 8;

/** Where in its block a container with a header of `headerBytes` starts: its first payload 8-aligned. */
export function containerStart(headerBytes: number): number {
  return (ALIGN - ((headerBytes + FRAME_HEADER_BYTES) % ALIGN)) % ALIGN;
}

/** Host memory (shared): blocks of at least `n` bytes, given back when unused. */
export interface HostAlloc {
  acquireBlock(n: number): Uint8Array;
  release(block: Uint8Array): void;
}

export interface SourceContainer {
  /** The container, exactly its length (frame CRCs left for the engine). */
  readonly bytes: Uint8Array;
  /** The host buffer it lives in (to give back). */
  readonly block: Uint8Array;
  /** Non-zero elements, -1 when not counted. */
  readonly nonZero: number;
}

/** Where a checked container's payloads are. */
export interface SourceFrames {
  readonly header: ContainerHeader;
  /** Offset of each chunk's payload in the container. */
  readonly frameOffsets: number[];
  readonly payloadBytes: number[];
}

/** The header (and its bytes) of each tensor shape seen, for one codec. */
export class SourceHeaders {
  readonly #byShape = new Map<string, { h: ContainerHeader; bytes: Uint8Array }>();
  constructor(readonly codec: 'zvc' | 'none') {}

  get(shape: readonly number[]): { h: ContainerHeader; bytes: Uint8Array } {
    const key = shape.join(',');
    let e = this.#byShape.get(key);
    if (e === undefined) {
      const h = flatHeader(this.codec, {}, shape, SOURCE_CHUNK_BYTES);
      const bytes = new Uint8Array(h.headerBytes);
      encodeHeader(h, bytes, 0);
      e = { h, bytes };
      this.#byShape.set(key, e);
    }
    return e;
  }

  /**
   * The frames of `container`, a container of a tensor of `shape` (checked
   * by the engine with the container reader, checksums included, just
   * before). Its header must be byte for byte the one this codec writes for
   * `shape` (codec, element count, shape, chunking, header checksum), and
   * its frames must tile it exactly, each payload within its chunk's
   * largest size. Throws CorruptDataError.
   */
  frames(container: Uint8Array, shape: readonly number[]): SourceFrames {
    const { h, bytes: header } = this.get(shape);
    const bad = (why: string) =>
      new CorruptDataError(`host container of a ${this.codec} [${shape.join(',')}] tensor: ${why}`);
    if (container.byteLength < header.byteLength) throw bad('shorter than its header');
    for (let i = 0; i < header.byteLength; i++)
      if (container[i] !== header[i]) throw bad(`header differs at byte ${i}`);
    const view = new DataView(container.buffer, container.byteOffset, container.byteLength);
    const frameOffsets = new Array<number>(h.chunkCount);
    const payloadBytes = new Array<number>(h.chunkCount);
    let p = header.byteLength;
    for (let i = 0; i < h.chunkCount; i++) {
      if (p + FRAME_HEADER_BYTES > container.byteLength) throw bad(`frame ${i} is cut off`);
      const len = view.getUint32(p, true);
      const [a, e] = chunkRawRange(h, i);
      const max = this.codec === 'none' ? e - a : zvcMaxSize((e - a) / 4, 4);
      if ((this.codec === 'none' && len !== max) || len > max || len % 4 !== 0)
        throw bad(`frame ${i} holds ${len} bytes for ${e - a} raw`);
      frameOffsets[i] = p + FRAME_HEADER_BYTES;
      payloadBytes[i] = len;
      p += FRAME_HEADER_BYTES + len;
      if (p > container.byteLength) throw bad(`frame ${i} runs past the end`);
    }
    if (p !== container.byteLength)
      throw bad(`${container.byteLength - p} bytes after the last frame`);
    return { header: h, frameOffsets, payloadBytes };
  }
}
