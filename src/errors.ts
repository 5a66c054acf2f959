/**
 * Typed errors. Every error cdma raises on purpose is a CdmaError with a stable
 * `code`, so callers (and the CLI) can tell bad input from bugs.
 */
export class CdmaError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Input bytes are not what they claim to be: truncated, corrupted, forged. */
export class CorruptDataError extends CdmaError {
  constructor(message: string) {
    super('CORRUPT_DATA', message);
  }
}

/** A caller passed something cdma cannot work with (wrong dtype, bad option...). */
export class InvalidArgumentError extends CdmaError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** A file or dataset the user named is missing, unreadable or malformed. */
export class InputFileError extends CdmaError {
  constructor(message: string) {
    super('INPUT_FILE', message);
  }
}

/** Device (accelerator heap) memory would exceed its limit or the budget. */
export class DeviceMemoryError extends CdmaError {
  constructor(message: string) {
    super('DEVICE_MEMORY', message);
  }
}

/** An output cdma was asked to write would destroy something, or cannot be written. */
export class OutputFileError extends CdmaError {
  constructor(message: string) {
    super('OUTPUT_FILE', message);
  }
}

/**
 * The run was stopped by a signal. `exitCode` is 128 + the signal number
 * (130 for SIGINT); the message says how to resume, where that is possible.
 */
export class InterruptedError extends CdmaError {
  constructor(
    message: string,
    readonly exitCode = 130,
  ) {
    super('INTERRUPTED', message);
  }
}
