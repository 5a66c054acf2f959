/**
 * Errors of the memory virtualization layer. Both are CdmaErrors, so the CLI
 * prints them as one line and training stops: nothing continues on data that
 * may be wrong or missing.
 */
import { CdmaError } from '../errors.js';

/** The transfer engine (the worker thread that plays the DMA engine) died or failed. */
export class TransferEngineError extends CdmaError {
  constructor(message: string) {
    super('TRANSFER_ENGINE', message);
  }
}

/** The host store could not keep or return an entry (disk full, unwritable directory...). */
export class HostStoreError extends CdmaError {
  constructor(message: string) {
    super('HOST_STORE', message);
  }
}
