/**
 * The IDX file format of MNIST and Fashion-MNIST: two zero bytes, a type
 * byte (0x08 = unsigned byte), the number of dimensions, each dimension as a
 * big-endian uint32, then the values row-major. Only unsigned-byte files are
 * supported (images and labels of both datasets are).
 */
import { InputFileError } from '../errors.js';

export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

export interface IdxHeader {
  readonly dims: readonly number[];
  /** Bytes of the header (magic + dimensions). */
  readonly headerBytes: number;
  /** Bytes of data the dimensions declare. */
  readonly dataBytes: number;
}

/**
 * Reads and checks an IDX header from the start of a file (a prefix is
 * enough): the magic, the element type, the number of dimensions
 * (expectedDims) and that no dimension is zero. `what` names the file.
 */
export function parseIdxHeader(
  buf: Uint8Array,
  what: string,
  expectedDims: readonly number[],
): IdxHeader {
  if (buf.length < 4) {
    throw new InputFileError(`${what}: ${buf.length} bytes is too short for an IDX header`);
  }
  if (buf[0] !== 0 || buf[1] !== 0) {
    throw new InputFileError(`${what}: not an IDX file (bad magic bytes ${buf[0]}, ${buf[1]})`);
  }
  const type = buf[2];
  const ndims = buf[3];
  if (type !== 0x08) {
    const name = TYPE_NAMES[type] ?? `unknown type 0x${type.toString(16)}`;
    throw new InputFileError(
      `${what}: IDX element type ${name} is not supported; only unsigned byte`,
    );
  }
  if (!expectedDims.includes(ndims)) {
    throw new InputFileError(
      `${what}: IDX file has ${ndims} dimensions, expected ${expectedDims.join(' or ')}`,
    );
  }
  const headerBytes = 4 + 4 * ndims;
  if (buf.length < headerBytes) throw new InputFileError(`${what}: IDX header is truncated`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  let dataBytes = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    if (d === 0) throw new InputFileError(`${what}: IDX dimension ${i} is zero`);
    dims.push(d);
    dataBytes *= d;
  }
  return { dims, headerBytes, dataBytes };
}

/**
 * Parses a whole IDX buffer: the header (parseIdxHeader), then the data,
 * whose length must match the dimensions exactly.
 */
export function parseIdx(buf: Uint8Array, what: string, expectedDims: readonly number[]): IdxArray {
  const { dims, headerBytes, dataBytes } = parseIdxHeader(buf, what, expectedDims);
  const have = buf.length - headerBytes;
  if (dataBytes !== have) {
    const why = dataBytes > have ? 'truncated' : 'has trailing bytes';
    throw new InputFileError(
      `${what}: IDX dimensions [${dims.join(', ')}] need ${dataBytes} bytes of data but the file has ${have}; it is ${why}`,
    );
  }
  return { dims, data: buf.subarray(headerBytes) };
}
