/**
 * Structure-aware JSON mutations: numbers replaced by extreme values (also
 * as literals JSON.stringify cannot write: 1e999, -0, 1e-400, long integers),
 * wrong types, missing and extra keys, huge arrays and strings, deep nesting,
 * values moved between places.
 */
import type { Rng } from './rng.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Marks a string standing for a literal written into the text as it is (JSON.stringify would change it). */
const RAW = '\u0000raw:';

/** Raw literals of the document being built, by index (the marker holds the index). */
let raws: string[] = [];

function raw(literal: string): string {
  raws.push(literal);
  return `${RAW}${raws.length - 1}`;
}
const RAW_LITERALS = [
  '1e999',
  '-1e999',
  '-0',
  '1e-400',
  '123456789012345678901234567890',
  '1E+308',
  '0.0000000001',
];

const NUMBERS = [
  1e308,
  -1e308,
  -1,
  0,
  1e-300,
  -1e-300,
  0.5,
  1,
  2,
  255,
  256,
  65535,
  65536,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 32 + 1,
  2 ** 53,
  2 ** 53 + 2,
  1e6,
  1e6 + 1,
  1 / 64,
  1 / 65,
  3.5,
  -0.5,
  1e9,
  1e15,
];
const STRINGS = [
  'NaN',
  'Infinity',
  '-Infinity',
  '',
  '1e999',
  '0x10',
  '../../x',
  'a\nb',
  '\u0000',
  '__proto__',
];
const KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'extra', 'length', 'x'];

/** A reference to a place in the document: its container and key (undefined: the root). */
interface Slot {
  readonly parent: Json[] | { [k: string]: Json } | undefined;
  readonly key: string | number;
}

/** Up to `max` slots of the tree, chosen by reservoir sampling over a bounded walk. */
function slots(rng: Rng, root: Json, max: number): Slot[] {
  const out: Slot[] = [{ parent: undefined, key: 0 }];
  let seen = 1;
  const stack: Json[] = [root];
  let visited = 0;
  while (stack.length > 0 && visited < 20000) {
    const v = stack.pop() as Json;
    visited++;
    if (v === null || typeof v !== 'object') continue;
    const keys: (string | number)[] = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
    for (const k of keys) {
      const slot: Slot = { parent: v, key: k };
      seen++;
      if (out.length < max) out.push(slot);
      else {
        const j = rng.below(seen);
        if (j < max) out[j] = slot;
      }
      stack.push((v as Record<string | number, Json>)[k]);
    }
  }
  return out;
}

/** Length of a string as written: a raw literal's own length for its marker. */
function textLength(s: string): number {
  return s.startsWith(RAW) ? (raws[Number(s.slice(RAW.length))]?.length ?? 0) : s.length;
}

/** Roughly the bytes `v` takes as text, counted up to `limit` (then limit + 1). */
function sizeOf(v: Json, limit: number): number {
  let size = 0;
  const stack: Json[] = [v];
  while (stack.length > 0 && size <= limit) {
    const x = stack.pop() as Json;
    if (typeof x === 'string') size += textLength(x) + 2;
    else if (x === null || typeof x !== 'object') size += 8;
    else {
      size += 2;
      for (const [k, y] of Object.entries(x)) {
        size += k.length + 4;
        stack.push(y);
      }
    }
  }
  return Math.min(size, limit + 1);
}

/** Largest value a mutation copies (so that documents stay a few MiB). */
const MAX_COPY = 1 << 20;

function get(root: Json, s: Slot): Json {
  return s.parent === undefined ? root : (s.parent as Record<string | number, Json>)[s.key];
}

function randomValue(rng: Rng, like: Json): Json {
  switch (rng.below(9)) {
    case 0:
      return rng.pick(NUMBERS);
    case 1:
      return raw(rng.pick(RAW_LITERALS));
    case 2:
      return rng.pick(STRINGS);
    case 3:
      return null;
    case 4:
      return rng.chance(0.5);
    case 5:
      return [];
    case 6:
      return {};
    case 7:
      return typeof like === 'number' ? like * rng.pick([-1, 2, 1e6, 1e-6, 1.5]) : [like];
    default:
      return typeof like === 'number'
        ? rng.pick(NUMBERS)
        : like !== null && typeof like === 'object'
          ? JSON.stringify(like).slice(0, 100)
          : String(like);
  }
}

function hugeArray(rng: Rng, like: Json): Json[] {
  const n = rng.chance(0.8) ? rng.range(100, 5000) : rng.range(5000, 100000);
  const first = Array.isArray(like) && like.length > 0 ? like[0] : like;
  const small = typeof first === 'number' || typeof first === 'boolean' || first === null;
  const item = small || (typeof first === 'string' && textLength(first) <= 64) ? first : 0;
  const out = new Array<Json>(n);
  for (let i = 0; i < n; i++) out[i] = item;
  return out;
}

/** Deeply nested arrays or objects, as a raw literal (JSON.stringify recurses). */
function deep(rng: Rng): Json {
  const depth = rng.chance(0.8) ? rng.range(10, 200) : rng.range(1000, 50000);
  const open = rng.chance(0.5) ? '[' : '{"a":';
  const close = open === '[' ? ']' : '}';
  return raw(`${open.repeat(depth)}1${close.repeat(depth)}`);
}

/** Applies one structural mutation to `root` (in place where it can); returns the new root. */
function mutateTree(rng: Rng, root: Json): Json {
  const all = slots(rng, root, 64);
  // Prefer leaves: numbers are where range checks live.
  const numeric = all.filter((s) => typeof get(root, s) === 'number');
  const s = numeric.length > 0 && rng.chance(0.5) ? rng.pick(numeric) : rng.pick(all);
  const v = get(root, s);
  let next: Json | undefined;
  switch (rng.below(10)) {
    case 0:
    case 1:
    case 2:
      next = typeof v === 'number' && rng.chance(0.7) ? rng.pick(NUMBERS) : randomValue(rng, v);
      break;
    case 5:
    case 6:
      // Large values in one mutation of ten, the largest rarely: they are slow to make and read.
      if (rng.chance(0.5)) {
        next = typeof v === 'number' ? rng.pick(NUMBERS) : randomValue(rng, v);
        break;
      }
      switch (rng.below(4)) {
        case 0:
        case 1:
          next = hugeArray(rng, v);
          break;
        case 2:
          next = 'x'.repeat(rng.chance(0.8) ? rng.range(100, 10000) : rng.range(10000, 1 << 20));
          break;
        default:
          next = deep(rng);
      }
      break;
    case 3:
      next = undefined; // delete
      break;
    case 4:
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        v[rng.chance(0.5) ? rng.pick(KEYS) : `k${rng.below(100)}`] = randomValue(rng, null);
        return root;
      }
      next = { [rng.pick(KEYS)]: v };
      break;
    case 7: {
      const other = get(root, rng.pick(all));
      next = other === root || sizeOf(other, MAX_COPY) > MAX_COPY ? v : structuredClone(other);
      break;
    }
    case 8:
      if (Array.isArray(v) && v.length > 0) {
        const n = rng.range(1, 64);
        for (let i = 0; i < n; i++) {
          const item = v[rng.below(v.length)];
          if (sizeOf(item, MAX_COPY / 64) <= MAX_COPY / 64) v.push(structuredClone(item));
        }
        return root;
      }
      next = sizeOf(v, MAX_COPY) > MAX_COPY ? v : [v, structuredClone(v)];
      break;
    default:
      if (Array.isArray(v) && v.length > 1) {
        v.splice(rng.below(v.length), 1);
        return root;
      }
      next = randomValue(rng, v);
  }
  if (s.parent === undefined) return next === undefined ? {} : next;
  if (next === undefined) {
    if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
    else delete s.parent[s.key as string];
  } else (s.parent as Record<string | number, Json>)[s.key] = next;
  return root;
}

/** The mutated document's text: 1 to 3 structural mutations of a copy of `seed`. */
export function mutateJson(rng: Rng, seed: unknown): string {
  raws = [];
  let root = structuredClone(seed) as Json;
  const n = rng.chance(0.6) ? 1 : rng.range(2, 3);
  for (let i = 0; i < n; i++) root = mutateTree(rng, root);
  const text = JSON.stringify(root, null, rng.chance(0.1) ? 1 : undefined);
  if (raws.length === 0) return text;
  const literals = raws;
  return text.replace(/"\\u0000raw:(\d+)"/g, (_, i: string) => literals[Number(i)]);
}
