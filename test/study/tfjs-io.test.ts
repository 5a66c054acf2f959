import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  appendFileSync,
  linkSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileIO, loadTfjsModel, seededWeight } from '../../src/study/tfjs-io.js';
import { InputFileError, InvalidArgumentError, OutputFileError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';

function tinyModel(): tfl.Sequential {
  const m = tfl.sequential();
  m.add(
    tfl.layers.conv2d({
      inputShape: [8, 8, 1],
      filters: 3,
      kernelSize: 3,
      activation: 'relu',
      name: 'c1',
    }),
  );
  m.add(tfl.layers.flatten({ name: 'f' }));
  m.add(tfl.layers.dense({ units: 2, name: 'd' }));
  return m;
}

interface Saved {
  readonly dir: string;
  readonly path: string;
  readonly shard: string;
  readonly model: tfl.Sequential;
}

async function saved(t: TestContext): Promise<Saved> {
  await tf.setBackend('cpu');
  const dir = tempDir(t, 'tfjs-io');
  const path = join(dir, 'model.json');
  const model = tinyModel();
  await model.save(fileIO(path));
  return { dir, path, shard: join(dir, 'model.weights.bin'), model };
}

type ModelJson = {
  modelTopology: unknown;
  weightsManifest?: { paths: unknown[]; weights: Record<string, unknown>[] }[];
  [k: string]: unknown;
};

/** Writes a changed copy of path's model.json as `name` in the same folder; returns its path. */
function variant(s: Saved, name: string, change: (j: ModelJson) => void): string {
  const json = JSON.parse(readFileSync(s.path, 'utf8')) as ModelJson;
  change(json);
  const out = join(s.dir, name);
  writeFileSync(out, JSON.stringify(json));
  return out;
}

/** Asserts that loading `path` fails with `type` and a message naming the file and matching `re`. */
async function refused(
  path: string,
  re: RegExp,
  type: typeof InputFileError | typeof InvalidArgumentError = InputFileError,
  load: () => Promise<unknown> = () => tfl.loadLayersModel(fileIO(path)),
): Promise<void> {
  await assert.rejects(load(), (e) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    assert.ok(e.message.includes(path), `message does not name ${path}: ${e.message}`);
    assert.match(e.message, re);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
}

function values(m: tfl.LayersModel): number[][] {
  return m.getWeights().map((w) => Array.from(w.dataSync()));
}

test('a Layers model saved through the file handler loads back with the same weights', async (t) => {
  const { dir, path, model } = await saved(t);
  assert.ok(statSync(join(dir, 'model.weights.bin')).size > 0);
  const back = await tfl.loadLayersModel(fileIO(path));
  const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 7);
  const a = model.predict(x) as tf.Tensor;
  const b = back.predict(x) as tf.Tensor;
  assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
  assert.deepEqual(
    back.layers.map((l) => l.name),
    ['c1', 'f', 'd'],
  );
  const viaLoader = await loadTfjsModel(path);
  assert.deepEqual(values(viaLoader), values(model));
  tf.dispose([x, a, b]);
  back.dispose();
  viaLoader.dispose();
});

test('weights split over groups and shards load when each group holds exactly its bytes', async (t) => {
  const s = await saved(t);
  const bytes = readFileSync(s.shard);
  const json = JSON.parse(readFileSync(s.path, 'utf8')) as ModelJson;
  const weights = json.weightsManifest![0].weights;
  // c1/kernel 3x3x1x3 and c1/bias 3 in group 0 (two shards), the dense weights in group 1.
  const first = (27 + 3) * 4;
  writeFileSync(join(s.dir, 'a.bin'), bytes.subarray(0, 40));
  writeFileSync(join(s.dir, 'b.bin'), bytes.subarray(40, first));
  writeFileSync(join(s.dir, 'c.bin'), bytes.subarray(first));
  const split = variant(s, 'split.json', (j) => {
    j.weightsManifest = [
      { paths: ['a.bin', 'b.bin'], weights: weights.slice(0, 2) },
      { paths: ['c.bin'], weights: weights.slice(2) },
    ];
  });
  const back = await tfl.loadLayersModel(fileIO(split));
  assert.deepEqual(values(back), values(s.model));
  back.dispose();

  // The same bytes with the boundary between the groups moved are refused.
  const moved = variant(s, 'moved.json', (j) => {
    j.weightsManifest = [
      { paths: ['a.bin'], weights: weights.slice(0, 2) },
      { paths: ['b.bin', 'c.bin'], weights: weights.slice(2) },
    ];
  });
  await refused(moved, /weightsManifest\[0\] \(a\.bin\) hold 40 bytes but its weights need 120/);
});

test('truncated weights, escaping shard paths and bad JSON are input errors', async (t) => {
  const s = await saved(t);
  const { dir, path } = s;

  const escape = variant(s, 'escape.json', (j) => {
    j.weightsManifest![0].paths = ['../outside.bin'];
  });
  await refused(
    escape,
    /paths\[0\] weight file "\.\.\/outside\.bin" must be a plain relative path/,
  );

  const missing = variant(s, 'missing.json', (j) => {
    j.weightsManifest![0].paths = ['nope.bin'];
  });
  await refused(missing, /weight file "nope\.bin" does not exist/);

  const forged = variant(s, 'forged.json', (j) => {
    j.weightsManifest![0].weights[0].shape = [100000, 100000];
  });
  await refused(forged, /more than the 2\.00 GiB .* limit/);

  writeFileSync(join(dir, 'bad.json'), '{"modelTopology": ');
  await assert.rejects(tfl.loadLayersModel(fileIO(join(dir, 'bad.json'))), /not valid JSON/);
  writeFileSync(join(dir, 'graph.json'), '{"format": "graph-model"}');
  await refused(join(dir, 'graph.json'), /no modelTopology/);

  truncateSync(s.shard, 10);
  await refused(path, /hold 10 bytes but its weights need 992; the files are truncated/);
});

test('a shard that is too long is refused before it is read', async (t) => {
  const s = await saved(t);
  appendFileSync(s.shard, Buffer.alloc(4));
  await refused(
    s.path,
    /model\.weights\.bin\) hold 996 bytes but its weights need 992; .*extra bytes/,
  );
});

test('each shard is read once: a repeated path or two names of one file are errors', async (t) => {
  const s = await saved(t);
  const twice = variant(s, 'twice.json', (j) => {
    j.weightsManifest![0].paths = ['model.weights.bin', 'model.weights.bin'];
  });
  await refused(twice, /lists weight file "model\.weights\.bin" twice/);

  // Two groups whose shards are the same bytes under two names: a link and a hard link.
  const bytes = readFileSync(s.shard);
  const first = (27 + 3) * 4;
  writeFileSync(join(s.dir, 'a.bin'), bytes.subarray(0, first));
  symlinkSync('a.bin', join(s.dir, 'sym.bin'));
  linkSync(join(s.dir, 'a.bin'), join(s.dir, 'hard.bin'));
  for (const alias of ['sym.bin', 'hard.bin']) {
    const aliased = variant(s, `${alias}.json`, (j) => {
      const w = j.weightsManifest![0].weights;
      j.weightsManifest = [
        { paths: ['a.bin'], weights: w.slice(0, 2) },
        { paths: [alias], weights: [{ name: 'x', shape: [30], dtype: 'float32' }] },
      ];
    });
    await refused(
      aliased,
      new RegExp(`"a\\.bin" and "${alias.replace('.', '\\.')}" are the same file`),
    );
  }
});

test('a shard that links outside the model folder is refused, naming the shard', async (t) => {
  const s = await saved(t);
  const outside = tempDir(t, 'tfjs-io-outside');
  const target = join(outside, 'w.bin');
  writeFileSync(target, readFileSync(s.shard));
  unlinkSync(s.shard);
  symlinkSync(target, s.shard);
  await refused(
    s.path,
    /weight file "model\.weights\.bin" resolves to .*w\.bin, outside the model's folder/,
  );

  // A link that stays inside the folder is fine, whatever the target's name.
  unlinkSync(s.shard);
  mkdirSync(join(s.dir, 'shards'));
  writeFileSync(join(s.dir, 'shards', '..w.bin'), readFileSync(target));
  symlinkSync(join('shards', '..w.bin'), s.shard);
  const back = await tfl.loadLayersModel(fileIO(s.path));
  assert.deepEqual(values(back), values(s.model));
  back.dispose();

  // A shard that is a folder is not read.
  const folder = variant(s, 'folder.json', (j) => {
    j.weightsManifest![0].paths = ['shards'];
  });
  await refused(folder, /weight file "shards" is not a regular file/);
});

test('malformed manifest fields are input errors naming the file and the field', async (t) => {
  const s = await saved(t);
  const cases: [string, (j: ModelJson) => void, RegExp][] = [
    [
      'dtype',
      (j) => (j.weightsManifest![0].weights[1].dtype = 'float64'),
      /weightsManifest\[0\]\.weights\[1\]\.dtype is "float64"; expected float32, int32 or bool/,
    ],
    [
      'negative',
      (j) => (j.weightsManifest![0].weights[0].shape = [3, 3, -1, 3]),
      /weightsManifest\[0\]\.weights\[0\]\.shape\[2\] is -1; expected a non-negative integer/,
    ],
    [
      'fraction',
      (j) => (j.weightsManifest![0].weights[0].shape = [3, 1.5]),
      /weights\[0\]\.shape\[1\] is 1\.5/,
    ],
    [
      'noshape',
      (j) => delete j.weightsManifest![0].weights[0].shape,
      /weights\[0\]\.shape is undefined, not an array/,
    ],
    [
      'overflow',
      (j) => (j.weightsManifest![0].weights[0].shape = [2 ** 40, 2 ** 40]),
      /weights\[0\]\.shape declares too many elements/,
    ],
    [
      'quant',
      (j) => (j.weightsManifest![0].weights[0].quantization = { dtype: 'uint8', scale: 1 }),
      /weights\[0\]\.quantization\.min is undefined; expected a finite number/,
    ],
    [
      'quantdtype',
      (j) => (j.weightsManifest![0].weights[0].quantization = { dtype: 'int4' }),
      /quantization\.dtype is "int4"; expected uint8, uint16 or float16/,
    ],
    [
      'name',
      (j) => (j.weightsManifest![0].weights[1].name = j.weightsManifest![0].weights[0].name),
      /weights\[1\]\.name repeats the weight name "c1\/kernel"/,
    ],
    [
      'paths',
      (j) => (j.weightsManifest![0].paths = [7]),
      /paths\[0\] weight file 7 must be a plain relative path/,
    ],
    [
      'manifest',
      (j) => (j.weightsManifest = { paths: [] } as never),
      /weightsManifest is not an array of weight groups/,
    ],
    [
      'group',
      (j) => (j.weightsManifest = [null] as never),
      /weightsManifest\[0\] is null, not a weight group object/,
    ],
    ['topology', (j) => (j.modelTopology = 'x'), /modelTopology is not an object/],
  ];
  for (const [name, change, re] of cases) {
    await refused(variant(s, `${name}.json`, change), re);
  }
});

test('a model.json without weights loads only with --random-init, deterministically', async (t) => {
  const s = await saved(t);
  const none = variant(s, 'none.json', (j) => delete j.weightsManifest);
  const empty = variant(s, 'empty.json', (j) => (j.weightsManifest = []));
  for (const p of [none, empty]) {
    await refused(p, /has no weights; pass --random-init SEED/, InputFileError, () =>
      loadTfjsModel(p),
    );
    // The bare handler never hands tfjs a model to fill with unseeded weights.
    await assert.rejects(tfl.loadLayersModel(fileIO(p)), /weights are not set/);
  }

  const a = await loadTfjsModel(none, { randomInit: 42 });
  const b = await loadTfjsModel(empty, { randomInit: 42 });
  const c = await loadTfjsModel(none, { randomInit: 43 });
  assert.deepEqual(values(a), values(b));
  assert.notDeepEqual(values(a), values(c));
  const [kernel, bias, dense] = values(a);
  const limit = Math.sqrt(6 / (9 * 1 + 9 * 3));
  assert.ok(kernel.every((v) => Math.abs(v) <= limit) && kernel.some((v) => v !== 0));
  assert.ok(bias.every((v) => v === 0));
  assert.ok(dense.some((v) => v !== 0));
  assert.deepEqual(
    Array.from(seededWeight('c1/kernel', 0, [3, 3, 1, 3], 42)),
    kernel,
    'the weights are seededWeight of (name, position, shape, seed)',
  );
  assert.ok(seededWeight('bn/gamma', 3, [4], 1).every((v) => v === 1));
  for (const m of [a, b, c]) m.dispose();

  await refused(s.path, /has its own weights; drop --random-init/, InvalidArgumentError, () =>
    loadTfjsModel(s.path, { randomInit: 1 }),
  );
  await assert.rejects(loadTfjsModel(none, { randomInit: -1 }), InvalidArgumentError);
  await assert.rejects(loadTfjsModel(none, { randomInit: 2 ** 32 }), InvalidArgumentError);
});

test('a topology without weights loads without a manifest or a seed', async (t) => {
  await tf.setBackend('cpu');
  const dir = tempDir(t, 'tfjs-io');
  const m = tfl.sequential();
  m.add(tfl.layers.maxPooling2d({ inputShape: [4, 4, 1], poolSize: 2 }));
  const path = join(dir, 'pool.json');
  await m.save(fileIO(path));
  const json = JSON.parse(readFileSync(path, 'utf8')) as ModelJson;
  delete json.weightsManifest;
  writeFileSync(path, JSON.stringify(json));
  const back = await loadTfjsModel(path);
  assert.equal(back.weights.length, 0);
  back.dispose();
});

test('saving goes through the safe writer', async (t) => {
  await tf.setBackend('cpu');
  const dir = tempDir(t, 'tfjs-io');
  const path = join(dir, 'deep', 'er', 'model.json');
  const m = tinyModel();
  await m.save(fileIO(path));
  assert.ok(statSync(join(dir, 'deep', 'er', 'model.weights.bin')).isFile());
  mkdirSync(join(dir, 'taken.json'));
  await assert.rejects(
    m.save(fileIO(join(dir, 'taken.json'))),
    (e) => e instanceof OutputFileError && /taken\.json exists and is a directory/.test(e.message),
  );
  writeFileSync(join(dir, 'file'), 'x');
  await assert.rejects(m.save(fileIO(join(dir, 'file', 'model.json'))), OutputFileError);
});

/** The layers of a saved tinyModel's topology (Sequential config). */
function layersOf(j: ModelJson): { class_name: string; config: Record<string, unknown> }[] {
  return (j.modelTopology as { config: { layers: never[] } }).config.layers;
}

test('a topology cannot make TensorFlow.js allocate more weights than the manifest declares', async (t) => {
  const s = await saved(t);
  const huge = variant(s, 'huge.json', (j) => {
    layersOf(j)[2]!.config.units = 1_000_000_000;
  });
  await refused(huge, /need more weights than the model declares/);
  await refused(huge, /need more weights than the model declares/, InputFileError, () =>
    loadTfjsModel(huge),
  );
  // Leaving the initializer out does not bring back an unbounded default.
  const bare = variant(s, 'bare.json', (j) => {
    const d = layersOf(j)[2]!.config;
    d.units = 1_000_000_000;
    delete d.kernel_initializer;
    delete d.bias_initializer;
  });
  await refused(bare, /need more weights than the model declares/);
  const nan = variant(s, 'nan.json', (j) => {
    layersOf(j)[0]!.config.filters = 1.5;
  });
  await refused(nan, /not a loadable TensorFlow\.js Layers model/, InputFileError, () =>
    loadTfjsModel(nan),
  );
});

test('a model loaded through the bounded topology saves its own initializers again', async (t) => {
  const s = await saved(t);
  const m = await loadTfjsModel(s.path);
  const again = join(s.dir, 'again', 'model.json');
  await m.save(fileIO(again));
  const layers = layersOf(JSON.parse(readFileSync(again, 'utf8')) as ModelJson);
  const orig = layersOf(JSON.parse(readFileSync(s.path, 'utf8')) as ModelJson);
  assert.deepEqual(
    layers.map((l) => [l.config.kernel_initializer, l.config.bias_initializer]),
    orig.map((l) => [l.config.kernel_initializer, l.config.bias_initializer]),
  );
  assert.deepEqual(values(m), values(s.model));
});
