/**
 * Byte sizes as people write and read them, one syntax for every option
 * (--budget, --chunk-size, ...): a whole or decimal number with an optional
 * unit, K/KiB/M/MiB/G/GiB/T/TiB binary and kB/MB/GB/TB decimal: 65536,
 * 256KiB, 1.5 MiB, 2GB. Printed as 512 B, 1.50 KiB, 64.00 MiB, 1.25 GiB.
 */
import { InvalidArgumentError } from '../errors.js';

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1e3,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1e6,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1e9,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1e12,
};

/** The syntax in one phrase, for help texts: every option that takes bytes says the same. */
export const BYTE_SIZE_HELP =
  'bytes, or with a unit: 512MiB, 1.5GiB, 2GB (KiB/MiB/GiB/TiB = 1024^n, kB/MB/GB/TB = 1000^n)';

const SIZE = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*$/;

/**
 * Parses a byte size (rounded down to a whole byte). `what` names the value
 * in messages (e.g. '--budget'); sizes below `min` bytes are refused.
 */
export function parseByteSize(text: string, what = 'size', min = 0): number {
  const m = SIZE.exec(text);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new InvalidArgumentError(
      `${what} '${text}' is not a byte size; write e.g. 1.5MiB, 256KiB, 2GB or 65536`,
    );
  }
  const v = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(v)) {
    throw new InvalidArgumentError(`${what} '${text}' is too large (at most 8 PiB)`);
  }
  if (v < min) {
    throw new InvalidArgumentError(`${what} must be at least ${formatBytes(min)}, got '${text}'`);
  }
  return v;
}

const NAMES = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** A byte count for people: 512 B, 1.50 KiB, 64.00 MiB, 1.25 GiB (binary units, two decimals). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  let v = bytes;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < NAMES.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(2)} ${NAMES[u]}`;
}
