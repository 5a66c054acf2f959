/**
 * How each reader's inputs are made from its seeds: which file of a seed is
 * mutated, by which mutators, and which checksums are then repaired.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { fixCheckpoint, fixContainer, fixPng, withCheckpointHeader } from './fixups.js';
import { mutateJson } from './json.js';
import { havoc } from './mutate.js';
import { LAYOUTS, type ReaderName } from './readers.js';
import type { Rng } from './rng.js';
import type { Seed } from './seeds.js';

type FileKind = 'binary' | 'container' | 'png' | 'gzip' | 'json' | 'checkpoint';

interface FileRule {
  readonly kind: FileKind;
  readonly weight: number;
  /** Bytes at the start that hold the header (mutations favour them). */
  readonly head: number;
}

const rule = (kind: FileKind, weight = 1, head = 64): FileRule => ({ kind, weight, head });

/** The rule for each file name a reader's seeds hold; names not listed are not mutated. */
const RULES: Readonly<Record<ReaderName, Readonly<Record<string, FileRule>>>> = {
  container: { input: rule('container', 1, 96) },
  npy: { input: rule('binary', 1, 128) },
  idx: {
    'train-images-idx3-ubyte': rule('binary', 3, 24),
    'train-labels-idx1-ubyte': rule('binary', 2, 12),
    't10k-images-idx3-ubyte': rule('binary', 2, 24),
    't10k-labels-idx1-ubyte': rule('binary', 1, 12),
  },
  'idx-gz': {
    'train-images-idx3-ubyte.gz': rule('gzip', 3, 24),
    'train-labels-idx1-ubyte.gz': rule('gzip', 2, 12),
    't10k-images-idx3-ubyte.gz': rule('gzip', 2, 24),
    't10k-labels-idx1-ubyte.gz': rule('gzip', 1, 12),
  },
  cifar10: {
    'data_batch_1.bin': rule('binary', 4, 3073),
    'data_batch_2.bin': rule('binary', 1, 3073),
    'test_batch.bin': rule('binary', 2, 3073),
    'batches.meta.txt': rule('binary', 1, 64),
  },
  png: { 'image.png': rule('png', 1, 64) },
  jpeg: { 'image.jpg': rule('binary', 1, 640) },
  tfjs: { 'model.json': rule('json', 3), 'model.weights.bin': rule('binary', 1, 64) },
  results: { 'results.json': rule('json') },
  ratios: { 'ratios.json': rule('json') },
  study: { 'results.json': rule('json') },
  profile: { 'profile.json': rule('json') },
  checkpoint: { 'model.ckpt': rule('checkpoint', 1, 256) },
  'map-image': { 'm.png': rule('png', 1, 33) },
};

/** One input: the files that differ from the base seed (the first), the base files it lacks, a call variant. */
export interface Mutant {
  readonly write: Record<string, Uint8Array>;
  readonly remove: readonly string[];
  readonly variant: number;
}

function pickFile(rng: Rng, rules: Readonly<Record<string, FileRule>>, seed: Seed): string {
  const names = Object.keys(seed.files).filter((n) => rules[n] !== undefined);
  let total = 0;
  for (const n of names) total += rules[n].weight;
  let x = rng.below(total);
  for (const n of names) {
    x -= rules[n].weight;
    if (x < 0) return n;
  }
  return names[0];
}

function mutateGzip(
  rng: Rng,
  gz: Uint8Array,
  partners: readonly Uint8Array[],
  head: number,
): Uint8Array {
  const mode = rng.below(100);
  if (mode < 40) return havoc(rng, gz, partners, 32);
  let raw: Uint8Array;
  try {
    raw = gunzipSync(gz);
  } catch {
    return havoc(rng, gz, partners, 32);
  }
  if (mode < 43) {
    // A bomb: the data followed by many zeros, which gzip shrinks a thousandfold.
    const out = new Uint8Array(raw.length + rng.range(1 << 16, 1 << 22));
    out.set(raw);
    return gzipSync(out, { level: 1 });
  }
  const level = rng.range(0, 9);
  const mutated = gzipSync(havoc(rng, raw, [], head), { level });
  if (mode < 48) {
    // Two gzip members, or trailing junk after one.
    const tail = rng.chance(0.5) ? gzipSync(raw) : havoc(rng, raw.subarray(0, 16), [], 16);
    const out = new Uint8Array(mutated.length + tail.length);
    out.set(mutated);
    out.set(tail, mutated.length);
    return out;
  }
  return mutated;
}

function mutateCheckpoint(
  rng: Rng,
  b: Uint8Array,
  partners: readonly Uint8Array[],
  head: number,
): Uint8Array {
  if (rng.chance(0.3) && b.length >= 20) {
    const view = new DataView(b.buffer, b.byteOffset, b.length);
    const len = Math.min(view.getUint32(12, true), b.length - 20);
    try {
      const header: unknown = JSON.parse(new TextDecoder().decode(b.subarray(20, 20 + len)));
      return withCheckpointHeader(b, new TextEncoder().encode(mutateJson(rng, header)));
    } catch {
      // not JSON (a mutated seed): fall through to bytes
    }
  }
  const out = havoc(rng, b, partners, head);
  return rng.chance(0.7) ? fixCheckpoint(out === b ? b.slice() : out) : out;
}

function mutateFile(
  rng: Rng,
  r: FileRule,
  name: string,
  seed: Seed,
  seeds: readonly Seed[],
): Uint8Array {
  const b = seed.files[name];
  const partners: Uint8Array[] = [];
  for (const s of seeds)
    if (s !== seed && s.files[name] !== undefined) partners.push(s.files[name]);
  switch (r.kind) {
    case 'binary':
      return havoc(rng, b, partners, r.head);
    case 'container': {
      const out = havoc(rng, b, partners, r.head);
      return rng.chance(0.7) ? fixContainer(out === b ? b.slice() : out) : out;
    }
    case 'png': {
      const out = havoc(rng, b, partners, r.head);
      return rng.chance(0.7) ? fixPng(out === b ? b.slice() : out) : out;
    }
    case 'gzip':
      return mutateGzip(rng, b, partners, r.head);
    case 'json':
      return seed.json[name] !== undefined && rng.chance(0.65)
        ? new TextEncoder().encode(mutateJson(rng, seed.json[name]))
        : havoc(rng, b, partners, r.head);
    case 'checkpoint':
      return mutateCheckpoint(rng, b, partners, r.head);
  }
}

/** A new input for `reader`, relative to the base seed seeds[0]. */
export function makeInput(reader: ReaderName, rng: Rng, seeds: readonly Seed[]): Mutant {
  const base = seeds[0];
  const seed = rng.pick(seeds);
  const rules = RULES[reader];
  const target = pickFile(rng, rules, seed);
  const write: Record<string, Uint8Array> = {};
  const remove: string[] = [];
  for (const [name, bytes] of Object.entries(seed.files))
    if (base.files[name] !== bytes) write[name] = bytes;
  for (const name of Object.keys(base.files)) if (seed.files[name] === undefined) remove.push(name);
  write[target] = mutateFile(rng, rules[target], target, seed, seeds);
  return { write, remove, variant: rng.below(LAYOUTS[reader].variants) };
}
