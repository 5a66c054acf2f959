/**
 * The `cdma/codecs` subpath export, as a program outside the package uses
 * it: a child process imports the built package by name (a temporary
 * node_modules/cdma link to this repository) under a module hook that fails
 * when any @tensorflow module is resolved or loaded, and compresses and
 * decompresses a tensor. Needs `npm run build` (npm test builds first).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tempDir } from '../helpers/tmp.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Fails any resolution or load of a TensorFlow.js module, naming it. */
const HOOKS = `
const tf = /(^|[\\\\/])@tensorflow[\\\\/]/;
export async function resolve(specifier, context, next) {
  if (tf.test(specifier)) throw new Error('TensorFlow.js module resolved: ' + specifier);
  const r = await next(specifier, context);
  if (tf.test(r.url)) throw new Error('TensorFlow.js module resolved: ' + r.url);
  return r;
}
export async function load(url, context, next) {
  if (tf.test(url)) throw new Error('TensorFlow.js module loaded: ' + url);
  return next(url, context);
}
`;

const REGISTER = `
import { register } from 'node:module';
register('./hooks.mjs', import.meta.url);
`;

/** A user's program: a duck-typed tensor through compress, a codec object, and the zarr adapter. */
const PROGRAM = `
import { createRequire } from 'node:module';
import * as codecs from 'cdma/codecs';
const { compress, decompress, compressedSize, density, codecFromConfig, zvcZarrCodec } = codecs;
const values = Float32Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? i - 500.25 : 0));
const tensor = { dtype: 'float32', shape: [10, 100], dataSync: () => values };
const container = compress(tensor);
const back = decompress(container);
const same = back.data.length === values.length && back.data.every((v, i) => Object.is(v, values[i]));
const zlib = codecFromConfig({ id: 'zlib', level: 1 });
const bytes = zlib.decode(zlib.encode(values));
const zarrChunk = zvcZarrCodec.fromConfig({ element_size: 4 }, { dataType: 'float32', shape: [1000] });
const chunk = zarrChunk.decode(zarrChunk.encode(new Uint8Array(values.buffer)));
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('@tensorflow'));
console.log(JSON.stringify({
  same,
  shape: back.shape,
  ratio: values.byteLength / container.length,
  size: compressedSize(tensor),
  density: density(tensor),
  zlibSame: Buffer.compare(bytes, Buffer.from(values.buffer)) === 0,
  zarrSame: Buffer.compare(chunk, Buffer.from(values.buffer)) === 0,
  loaded,
}));
`;

function run(dir: string, program: string) {
  writeFileSync(join(dir, 'program.mjs'), program);
  return spawnSync(process.execPath, ['--import', './register.mjs', 'program.mjs'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

function setUp(t: Parameters<typeof tempDir>[0]): string {
  assert.ok(
    existsSync(join(root, 'dist/src/codec/index.js')),
    'dist/src/codec/index.js is missing: run npm run build first',
  );
  const dir = tempDir(t, 'subpath');
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'cdma'), 'dir');
  writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
  writeFileSync(join(dir, 'register.mjs'), REGISTER);
  return dir;
}

test('cdma/codecs compresses and decompresses a tensor with no TensorFlow.js module loaded', (t) => {
  const dir = setUp(t);
  const r = run(dir, PROGRAM);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop() as string);
  assert.equal(out.same, true);
  assert.deepEqual(out.shape, [10, 100]);
  assert.ok(out.ratio > 2, `ratio ${out.ratio}`);
  assert.equal(out.size, 4 * Math.ceil(1000 / 32) + 4 * 334);
  assert.equal(out.density, 334 / 1000);
  assert.equal(out.zlibSame, true);
  assert.equal(out.zarrSame, true);
  assert.deepEqual(out.loaded, []);
});

test('the hook of that test stops a cdma module that imports TensorFlow.js', (t) => {
  const dir = setUp(t);
  // The trainer's backend module imports @tensorflow/tfjs-core; under the hook it must not load.
  const backend = pathToFileURL(join(root, 'dist/src/nn/backend.js')).href;
  const r = run(dir, `await import(${JSON.stringify(backend)});\nconsole.log('loaded');\n`);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /TensorFlow\.js module resolved: @tensorflow\/tfjs-core/);
  assert.doesNotMatch(r.stdout, /loaded/);
});
