import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeNpy } from '../../src/io/npy.js';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { sparseFloat32 } from '../helpers/sparse.js';

let dir = '';
before(() => {
  dir = makeTempDir('cli');
});
after(() => removeDir(dir));

const p = (name: string): string => join(dir, name);

const cli = runCli;

/** Asserts a one-line error on stderr matching `pattern` and a non-zero exit. */
function failed(r: { code: number; err: string }, pattern: RegExp): void {
  assert.notEqual(r.code, 0);
  assert.match(r.err, pattern);
  // One line; commander's own usage errors add its "(run with --help for usage)" hint.
  const lines = r.err.trimEnd().split('\n');
  assert.ok(lines.length === 1 || (lines.length === 2 && /--help/.test(lines[1])), r.err);
}

const sparse = (n: number): Float32Array => sparseFloat32(n, { density: 1 / 3, seed: 1 });

function writeNpy(
  name: string,
  dtype: 'float32' | 'float16' | 'uint16',
  shape: number[],
  data: Uint8Array,
): string {
  writeFileSync(p(name), encodeNpy({ dtype, shape, data }));
  return p(name);
}

/** Files in the temp dir other than those named (no temp files left behind). */
function strays(...known: string[]): string[] {
  return readdirSync(dir).filter((f) => f.startsWith('.') && !known.includes(f));
}

test('compress, inspect and decompress a float32 NCHW tensor, codec on NHWC, byte-identical .npy back', async () => {
  const input = writeNpy('a.npy', 'float32', [2, 3, 4, 5], new Uint8Array(sparse(120).buffer));
  const c = await cli(
    'compress',
    '--codec',
    'zlib',
    '--level',
    '9',
    '--layout',
    'nchw',
    '--codec-layout',
    'nhwc',
    '--chunk-size',
    '256',
    input,
    p('a.cdma'),
  );
  assert.equal(c.code, 0, c.err);
  assert.match(c.out, /a\.npy -> .*a\.cdma: float32 \(2, 3, 4, 5\) with zlib/);
  const i = await cli('inspect', '--json', p('a.cdma'));
  assert.equal(i.code, 0, i.err);
  const report = JSON.parse(i.out);
  assert.equal(report.codec, 'zlib');
  assert.equal(report.params.level, 9);
  assert.equal(report.layout, 'nchw');
  assert.equal(report.codecLayout, 'nhwc');
  assert.deepEqual(report.shape, [2, 3, 4, 5]);
  assert.equal(report.chunks.length, 2);
  const nonZeros = sparse(120).filter((x) => x !== 0).length;
  assert.equal(report.nonZeros, nonZeros);
  const text = await cli('inspect', '--chunks', p('a.cdma'));
  assert.match(text.out, /codec\s+zlib \(level=9\)/);
  assert.match(text.out, /layout\s+nchw \(codec ran on nhwc\)/);
  assert.match(text.out, new RegExp(`density\\s+${(nonZeros / 120).toFixed(4)}`));
  assert.match(text.out, /^\s+1\s+\d+\s+224\s/m);
  const dump = await cli('inspect', '--dump', p('a.cdma'));
  assert.match(dump.out, /^0000 {2}43 44 4d 41 +\| magic "CDMA"$/m);
  assert.match(dump.out, /\| chunk 1 payload \(zlib\)$/m);
  const d = await cli('decompress', p('a.cdma'), p('a2.npy'));
  assert.equal(d.code, 0, d.err);
  assert.deepEqual(readFileSync(p('a2.npy')), readFileSync(input));
});

test('float16 and bfloat16 (uint16 with --bfloat16) round-trip; uint16 without the flag is refused', async () => {
  const bits = new Uint8Array(
    new Uint16Array(100).map((_, i) => (i % 4 === 0 ? 0x3c00 + i : 0)).buffer,
  );
  const f16 = writeNpy('h.npy', 'float16', [10, 10], bits);
  assert.equal((await cli('compress', f16, p('h.cdma'))).code, 0);
  assert.equal((await cli('decompress', p('h.cdma'), p('h2.npy'))).code, 0);
  assert.deepEqual(readFileSync(p('h2.npy')), readFileSync(f16));

  const u16 = writeNpy('b.npy', 'uint16', [100], bits);
  failed(await cli('compress', u16, p('b.cdma')), /b\.npy: holds uint16; pass --bfloat16/);
  assert.equal(existsSync(p('b.cdma')), false);
  const ok = await cli(
    'compress',
    '--bfloat16',
    '--codec',
    'rle',
    '--param',
    'runBits=12,litBits=4',
    u16,
    p('b.cdma'),
  );
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /bfloat16/);
  const report = JSON.parse((await cli('inspect', '--json', p('b.cdma'))).out);
  assert.equal(report.dtype, 'bfloat16');
  assert.deepEqual(report.params, { litBits: 4, runBits: 12 });
  const d = await cli('decompress', p('b.cdma'), p('b2.npy'));
  assert.match(d.out, /bfloat16 written as uint16/);
  assert.deepEqual(readFileSync(p('b2.npy')), readFileSync(u16));
  failed(await cli('compress', '--bfloat16', f16, p('x.cdma')), /--bfloat16 needs a uint16/);
});

test('unsupported inputs give a one-line error and a non-zero exit', async () => {
  failed(
    await cli('compress', p('missing.npy'), p('x.cdma')),
    /^cdma: input .*missing\.npy does not exist$/m,
  );
  writeFileSync(p('text.npy'), 'just some text, not numpy');
  failed(await cli('compress', p('text.npy'), p('x.cdma')), /text\.npy: not a NumPy \.npy file/);
  const fortran = encodeNpy({ dtype: 'float32', shape: [2, 3], data: new Uint8Array(24) });
  const header = Buffer.from(fortran)
    .toString('latin1')
    .replace("'fortran_order': False", "'fortran_order': True ");
  writeFileSync(p('f.npy'), Buffer.from(header, 'latin1'));
  failed(await cli('compress', p('f.npy'), p('x.cdma')), /Fortran-order arrays are not supported/);
  const f8 = Buffer.from(fortran).toString('latin1').replace("'<f4'", "'<f8'");
  writeFileSync(p('d.npy'), Buffer.from(f8, 'latin1'));
  failed(await cli('compress', p('d.npy'), p('x.cdma')), /dtype '<f8' is not supported/);
  failed(await cli('compress', dir, p('x.cdma')), /is a directory, not a file/);
  const a = writeNpy('flat.npy', 'float32', [64], new Uint8Array(256));
  failed(await cli('compress', '--layout', 'nchw', a, p('x.cdma')), /need a 4-D tensor/);
  failed(await cli('compress', '--level', '3', a, p('x.cdma')), /--level applies to --codec zlib/);
  failed(
    await cli('compress', '--chunk-size', '100', a, p('x.cdma')),
    /chunk size 100 B is invalid/,
  );
  failed(await cli('compress', '--chunk-size', 'lots', a, p('x.cdma')), /not a byte size/);
  failed(await cli('compress', '--chunk-size', '-1KiB', a, p('x.cdma')), /not a byte size/);
  failed(
    await cli('compress', '--level', '-1', a, p('x.cdma')),
    /--level must be an integer from 0 to 9/,
  );
  failed(
    await cli('compress', '--codec', 'lz4', a, p('x.cdma')),
    /Allowed choices are zvc, rle, zlib, none/,
  );
  failed(
    await cli('compress', a, join(dir, 'no-such-dir', 'x.cdma')),
    /cannot write output .*no-such-dir\/x\.cdma: folder .*no-such-dir does not exist/,
  );
  assert.equal(existsSync(p('x.cdma')), false);
  failed(
    await cli('decompress', a, p('x.npy')),
    /flat\.npy: not a valid cdma container: bad magic/,
  );
  assert.deepEqual(strays(), []);
});

test('a corrupt or truncated container fails naming the problem and leaves OUT untouched', async () => {
  const a = writeNpy('c.npy', 'float32', [1000], new Uint8Array(sparse(1000).buffer));
  // Byte sizes take decimals, as --budget does.
  assert.equal((await cli('compress', '--chunk-size', '1.5KiB', a, p('c.cdma'))).code, 0);
  assert.equal((await cli('compress', '--chunk-size', '1KiB', a, p('c.cdma'))).code, 0);
  const good = readFileSync(p('c.cdma'));
  writeFileSync(p('out.npy'), 'previous contents');
  const flipped = Buffer.from(good);
  flipped[flipped.length - 5] ^= 4;
  writeFileSync(p('bad.cdma'), flipped);
  failed(
    await cli('decompress', p('bad.cdma'), p('out.npy')),
    /bad\.cdma: not a valid cdma container: chunk 3 checksum mismatch/,
  );
  failed(await cli('inspect', p('bad.cdma')), /chunk 3 checksum mismatch/);
  writeFileSync(p('short.cdma'), good.subarray(0, good.length - 100));
  failed(await cli('decompress', p('short.cdma'), p('out.npy')), /truncated at chunk 3/);
  assert.equal(readFileSync(p('out.npy'), 'utf8'), 'previous contents');
  assert.deepEqual(strays(), []);
});

test('each command explains its options in --help', async () => {
  const c = await cli('compress', '--help');
  assert.equal(c.code, 0);
  for (const opt of [
    '--codec',
    '--layout',
    '--codec-layout',
    '--level',
    '--chunk-size',
    '--bfloat16',
    '--param',
  ])
    assert.ok(c.out.includes(opt), opt);
  assert.match((await cli('decompress', '--help')).out, /Usage: cdma decompress/);
  assert.match((await cli('inspect', '--help')).out, /--json/);
  assert.match((await cli('--help')).out, /compress .*\n.*decompress/s);
});

test('the cdma process exits non-zero with one line on stderr', async () => {
  const r = await runCliProcess(['decompress', p('nope.cdma'), p('o.npy')]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^cdma: input .*nope\.cdma does not exist\n$/);
});
