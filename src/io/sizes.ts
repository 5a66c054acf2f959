/** Byte sizes as people write and read them: 1MiB, 256KiB, 65536; 1.5 MiB. */
import { InvalidArgumentError } from '../errors.js';

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
};

/** Parses a whole byte count with an optional unit (K/KiB/M/MiB/G/GiB binary, kB/MB/GB decimal). */
export function parseByteSize(text: string): number {
  const m = /^\s*(\d+)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined)
    throw new InvalidArgumentError(
      `'${text}' is not a byte size; write e.g. 1MiB, 256KiB or 65536`,
    );
  const v = Number(m[1]) * unit;
  if (!Number.isSafeInteger(v)) throw new InvalidArgumentError(`size ${text} is too large`);
  return v;
}

/** A byte count for people: 512 B, 1.5 KiB, 64.0 MiB, 1.25 GiB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}
