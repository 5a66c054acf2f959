import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CODEC_IDS,
  CODEC_PARAMS,
  codecByContainerId,
  codecDescriptor,
  getCodec,
  parseParams,
} from '../../src/codec/registry.js';

test('every codec id resolves, with its defaults recorded in params', () => {
  assert.deepEqual([...CODEC_IDS].sort(), ['none', 'rle', 'zlib', 'zvc']);
  for (const id of CODEC_IDS) {
    const codec = getCodec(id);
    assert.equal(codec.id, id);
    const defaults = Object.fromEntries(CODEC_PARAMS[id].map((s) => [s.name, s.default]));
    assert.deepEqual(codec.params, defaults);
  }
  assert.deepEqual(getCodec('rle', { litBits: 24 }).params, { runBits: 8, litBits: 24 });
});

test('bad codec ids and params are InvalidArgumentError naming the problem', () => {
  const bad: [string, Record<string, number>, RegExp][] = [
    ['lz4', {}, /unknown codec 'lz4'/],
    ['zvc', { level: 1 }, /zvc takes no parameters/],
    ['zlib', { levle: 1 }, /unknown parameter 'levle'/],
    ['zlib', { level: 10 }, /level must be an integer from 0 to 9/],
    ['zlib', { level: 1.5 }, /level must be an integer/],
    ['rle', { runBits: 0 }, /runBits must be an integer from 1 to 31/],
    ['rle', { runBits: 5 }, /runBits \+ litBits must be 8, 16, 24 or 32/],
    ['rle', { runBits: 24, litBits: 16 }, /litBits|runBits/],
  ];
  for (const [id, params, message] of bad)
    assert.throws(
      () => getCodec(id, params),
      { name: 'InvalidArgumentError', message },
      `${id} ${JSON.stringify(params)}`,
    );
});

test('container ids of cdma codecs are those of format version 1', () => {
  const ids = { none: 0, zvc: 1, rle: 2, zlib: 3 };
  for (const [id, code] of Object.entries(ids)) {
    assert.equal(codecDescriptor(id).containerId, code, id);
    assert.equal(codecByContainerId(code)?.id, id);
  }
  assert.equal(codecByContainerId(4), undefined);
});

test('parseParams reads name=number lists', () => {
  assert.deepEqual(parseParams('runBits=4, litBits=12'), { runBits: 4, litBits: 12 });
  assert.deepEqual(parseParams('scale=0.25,offset=-3'), { scale: 0.25, offset: -3 });
  assert.deepEqual(parseParams(''), {});
  assert.throws(() => parseParams('level'), { name: 'InvalidArgumentError' });
  assert.throws(() => parseParams('level=fast'), { name: 'InvalidArgumentError' });
});
