/**
 * The container's corruption error: a CorruptDataError (so callers and the CLI
 * treat it like any other) that also says, machine-readably, what was wrong
 * and in which chunk.
 */
import { CorruptDataError } from '../../errors.js';

export type CorruptReason =
  /** The first four bytes are not "CDMA". */
  | 'bad-magic'
  /** A format version (or flag) this reader does not know. */
  | 'unsupported-version'
  /** The input ends before the header, a frame or a payload does. */
  | 'truncated'
  /** The stored header CRC-32 does not match the header bytes. */
  | 'header-checksum'
  /** A header field is out of range or inconsistent with another. */
  | 'bad-header'
  /** A chunk's payload length is impossible for its raw size and codec. */
  | 'bad-chunk-size'
  /** The stored chunk CRC-32 does not match the frame. */
  | 'chunk-checksum'
  /** The codec found the (checksum-valid) payload malformed. */
  | 'bad-chunk-data'
  /** Bytes follow the last chunk. */
  | 'trailing-bytes';

export class ContainerCorruptError extends CorruptDataError {
  constructor(
    readonly reason: CorruptReason,
    detail: string,
    /** Index of the chunk at fault, when one is. */
    readonly chunk?: number,
  ) {
    super(`not a valid cdma container: ${detail}`);
  }
}
