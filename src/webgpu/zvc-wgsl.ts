/**
 * WGSL sources of the GPU ZVC kernels (./zvc.ts), for 32-bit (`eb` 4) and
 * 16-bit (`eb` 2) elements. The format is the CPU codec's (docs/CODECS.md):
 * per 32 elements a little-endian u32 mask, then the block's non-zero
 * elements in order. Every kernel takes its workgroup's linear index from a
 * 2-D grid (x up to 65535 workgroups), so a tensor of any size dispatches.
 */
export type { ElementBytes } from '../codec/bytes.js';
import type { ElementBytes } from '../codec/bytes.js';

/** Threads per workgroup in every kernel; 256 elements = 8 blocks. */
export const WG = 256;

const PARAMS = /* wgsl */ `
struct Params { n : u32, nblocks : u32, count : u32, pad : u32 };
`;

const GROUP = /* wgsl */ `
fn groupIndex(wid : vec3<u32>, nwg : vec3<u32>) -> u32 { return wid.x + wid.y * nwg.x; }
`;

const ENTRY = `@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) li : u32, @builtin(workgroup_id) wid : vec3<u32>,
        @builtin(num_workgroups) nwg : vec3<u32>)`;

/** The bit pattern of element e of `src` (a u32 array holding the elements). */
function elementFn(eb: ElementBytes): string {
  return eb === 4
    ? 'fn elem(e : u32) -> u32 { return src[e]; }'
    : 'fn elem(e : u32) -> u32 { return (src[e >> 1u] >> ((e & 1u) * 16u)) & 0xffffu; }';
}

/** Encode pass 1: each block's mask and encoded size in bytes (4 + eb * popcount). */
export function maskShader(eb: ElementBytes): string {
  return `${PARAMS}${GROUP}
@group(0) @binding(0) var<storage, read> src : array<u32>;
@group(0) @binding(1) var<storage, read_write> masks : array<u32>;
@group(0) @binding(2) var<storage, read_write> sizes : array<u32>;
@group(0) @binding(3) var<uniform> p : Params;
var<workgroup> wm : array<atomic<u32>, ${WG / 32}>;
${elementFn(eb)}
${ENTRY} {
  let g = groupIndex(wid, nwg);
  if (li < ${WG / 32}u) { atomicStore(&wm[li], 0u); }
  workgroupBarrier();
  let e = g * ${WG}u + li;
  if (e < p.n) {
    if (elem(e) != 0u) { atomicOr(&wm[li >> 5u], 1u << (li & 31u)); }
  }
  workgroupBarrier();
  let b = g * ${WG / 32}u + li;
  if (li < ${WG / 32}u && b < p.nblocks) {
    let m = atomicLoad(&wm[li]);
    masks[b] = m;
    sizes[b] = 4u + ${eb}u * countOneBits(m);
  }
}
`;
}

/**
 * Exclusive prefix sum of `data[0..count)` within each workgroup's 256
 * values (Hillis-Steele in workgroup memory); each workgroup's total goes to
 * sums[g]. Applied level by level, then ADD_SUMS adds the scanned totals back.
 */
export const SCAN_SHADER = `${PARAMS}${GROUP}
@group(0) @binding(0) var<storage, read_write> data : array<u32>;
@group(0) @binding(1) var<storage, read_write> sums : array<u32>;
@group(0) @binding(2) var<uniform> p : Params;
var<workgroup> t : array<u32, ${WG}>;
${ENTRY} {
  let g = groupIndex(wid, nwg);
  let i = g * ${WG}u + li;
  var v = 0u;
  if (i < p.count) { v = data[i]; }
  t[li] = v;
  workgroupBarrier();
  for (var off = 1u; off < ${WG}u; off = off << 1u) {
    var x = 0u;
    if (li >= off) { x = t[li - off]; }
    workgroupBarrier();
    t[li] = t[li] + x;
    workgroupBarrier();
  }
  if (i < p.count) { data[i] = t[li] - v; }
  if (li == ${WG - 1}u && g * ${WG}u < p.count) { sums[g] = t[${WG - 1}u]; }
}
`;

export const ADD_SUMS_SHADER = `${PARAMS}${GROUP}
@group(0) @binding(0) var<storage, read_write> data : array<u32>;
@group(0) @binding(1) var<storage, read> sums : array<u32>;
@group(0) @binding(2) var<uniform> p : Params;
${ENTRY} {
  let g = groupIndex(wid, nwg);
  let i = g * ${WG}u + li;
  if (i < p.count) { data[i] = data[i] + sums[g]; }
}
`;

/**
 * Encode pass 3, one thread per element: the block's first thread writes the
 * mask at the block's offset, each non-zero element goes after the mask at
 * its rank among the block's non-zeros. 16-bit output lands at 2-byte
 * offsets, so there the output is OR-ed in atomically (it starts zeroed).
 */
export function scatterShader(eb: ElementBytes): string {
  const out =
    eb === 4
      ? '@group(0) @binding(3) var<storage, read_write> out : array<u32>;'
      : '@group(0) @binding(3) var<storage, read_write> out : array<atomic<u32>>;';
  const writeMask =
    eb === 4
      ? 'out[o >> 2u] = m;'
      : `if ((o & 3u) == 0u) { atomicOr(&out[o >> 2u], m); }
         else { atomicOr(&out[o >> 2u], m << 16u); atomicOr(&out[(o >> 2u) + 1u], m >> 16u); }`;
  const writeValue =
    eb === 4 ? 'out[d >> 2u] = elem(e);' : 'atomicOr(&out[d >> 2u], elem(e) << ((d & 3u) * 8u));';
  return `${PARAMS}${GROUP}
@group(0) @binding(0) var<storage, read> src : array<u32>;
@group(0) @binding(1) var<storage, read> masks : array<u32>;
@group(0) @binding(2) var<storage, read> offs : array<u32>;
${out}
@group(0) @binding(4) var<uniform> p : Params;
${elementFn(eb)}
${ENTRY} {
  let e = groupIndex(wid, nwg) * ${WG}u + li;
  if (e >= p.n) { return; }
  let b = e >> 5u;
  let lane = e & 31u;
  let m = masks[b];
  let o = offs[b];
  if (lane == 0u) { ${writeMask} }
  if (((m >> lane) & 1u) != 0u) {
    let d = o + 4u + ${eb}u * countOneBits(m & ((1u << lane) - 1u));
    ${writeValue}
  }
}
`;
}

/** A u32 at byte offset o of `comp` (4-aligned for 32-bit, 2-aligned for 16-bit). */
function read32Fn(eb: ElementBytes): string {
  return eb === 4
    ? 'fn read32(o : u32) -> u32 { return comp[o >> 2u]; }'
    : `fn read32(o : u32) -> u32 {
  let w = o >> 2u;
  if ((o & 3u) == 0u) { return comp[w]; }
  return (comp[w] >> 16u) | (comp[w + 1u] << 16u);
}`;
}

/**
 * Decode pass 1, one thread per superblock of 32 blocks: from the
 * superblock's byte offset (the index the host built while checking the
 * payload), walk its 32 masks to every block's mask and offset.
 */
export function walkShader(eb: ElementBytes): string {
  return `${PARAMS}${GROUP}
@group(0) @binding(0) var<storage, read> comp : array<u32>;
@group(0) @binding(1) var<storage, read> index : array<u32>;
@group(0) @binding(2) var<storage, read_write> masks : array<u32>;
@group(0) @binding(3) var<storage, read_write> offs : array<u32>;
@group(0) @binding(4) var<uniform> p : Params;
${read32Fn(eb)}
${ENTRY} {
  let s = groupIndex(wid, nwg) * ${WG}u + li;
  if (s >= p.count) { return; }
  var o = index[s];
  for (var j = 0u; j < 32u; j = j + 1u) {
    let b = s * 32u + j;
    if (b >= p.nblocks) { break; }
    let m = read32(o);
    masks[b] = m;
    offs[b] = o;
    o = o + 4u + ${eb}u * countOneBits(m);
  }
}
`;
}

/**
 * Decode pass 2: every output word from the masks and offsets (32-bit: one
 * element per thread; 16-bit: the two elements of one output word per
 * thread, so no two threads write one word).
 */
export function expandShader(eb: ElementBytes): string {
  const body =
    eb === 4
      ? `let e = w;
  if (e >= p.n) { return; }
  out[w] = value(e);`
      : `let e = w * 2u;
  if (e >= p.n) { return; }
  var r = value(e);
  if (e + 1u < p.n) { r = r | (value(e + 1u) << 16u); }
  out[w] = r;`;
  const read = eb === 4 ? 'comp[d >> 2u]' : '(comp[d >> 2u] >> ((d & 3u) * 8u)) & 0xffffu';
  return `${PARAMS}${GROUP}
@group(0) @binding(0) var<storage, read> comp : array<u32>;
@group(0) @binding(1) var<storage, read> masks : array<u32>;
@group(0) @binding(2) var<storage, read> offs : array<u32>;
@group(0) @binding(3) var<storage, read_write> out : array<u32>;
@group(0) @binding(4) var<uniform> p : Params;
fn value(e : u32) -> u32 {
  let b = e >> 5u;
  let lane = e & 31u;
  let m = masks[b];
  if (((m >> lane) & 1u) == 0u) { return 0u; }
  let d = offs[b] + 4u + ${eb}u * countOneBits(m & ((1u << lane) - 1u));
  return ${read};
}
${ENTRY} {
  let w = groupIndex(wid, nwg) * ${WG}u + li;
  ${body}
}
`;
}
