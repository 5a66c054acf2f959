/** The readers the fuzzer drives, and the files each one's input is made of. */

export const READERS = [
  'container',
  'npy',
  'idx',
  'idx-gz',
  'cifar10',
  'png',
  'jpeg',
  'tfjs',
  'results',
  'ratios',
  'study',
  'profile',
  'checkpoint',
  'map-image',
] as const;

export type ReaderName = (typeof READERS)[number];

/** An input: file contents by path relative to the reader's folder ('input' for byte readers). */
export type InputFiles = Readonly<Record<string, Uint8Array>>;

export interface ReaderLayout {
  /** Whether the reader takes a folder of files (false: it takes the bytes of 'input'). */
  readonly onDisk: boolean;
  /** Extra names of a file (hard links, written once): link path -> file path. */
  readonly links?: Readonly<Record<string, string>>;
  /** Number of call variants (e.g. with and without --limit); each input uses one. */
  readonly variants: number;
}

const imageLinks = (name: string): Record<string, string> => ({
  [`train/a/${name}`]: name,
  [`train/b/${name}`]: name,
  [`test/a/${name}`]: name,
});

export const LAYOUTS: Readonly<Record<ReaderName, ReaderLayout>> = {
  container: { onDisk: false, variants: 1 },
  npy: { onDisk: false, variants: 1 },
  idx: { onDisk: true, variants: 2 },
  'idx-gz': { onDisk: true, variants: 2 },
  cifar10: { onDisk: true, variants: 2 },
  png: { onDisk: true, links: imageLinks('image.png'), variants: 3 },
  jpeg: { onDisk: true, links: imageLinks('image.jpg'), variants: 3 },
  tfjs: { onDisk: true, variants: 1 },
  results: { onDisk: true, variants: 1 },
  ratios: { onDisk: true, variants: 1 },
  study: { onDisk: true, variants: 1 },
  profile: { onDisk: true, variants: 2 },
  checkpoint: { onDisk: true, variants: 1 },
  'map-image': { onDisk: true, variants: 1 },
};

export function isReaderName(s: string): s is ReaderName {
  return (READERS as readonly string[]).includes(s);
}
