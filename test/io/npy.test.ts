import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InputFileError } from '../../src/errors.js';
import { encodeNpy, parseNpy, type NpyDType } from '../../src/io/npy.js';

/** np.save(f, np.array([[1.5, -0.0, 0], [np.inf, 2, 3]], dtype='<f4')) with numpy 2.4. */
const NUMPY_V1 =
  '934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000c03f00000080000000000000807f0000004000004040';
/** The same array written with numpy.lib.format.write_array(version=(2, 0)). */
const NUMPY_V2 =
  '934e554d50590200740000007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2033292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000c03f00000080000000000000807f0000004000004040';
/** ... and version=(3, 0) (UTF-8 header). */
const NUMPY_V3 = NUMPY_V2.slice(0, 12) + '03' + NUMPY_V2.slice(14);
/** np.save of np.array(5, dtype='<f2'): a 0-d array. */
const NUMPY_SCALAR_F2 =
  '934e554d5059010076007b276465736372273a20273c6632272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0045';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const EXPECTED = new Float32Array([1.5, -0, 0, Infinity, 2, 3]);

/** A .npy file with the given header dict text and data bytes (version 1.0). */
function npyWith(dict: string, data: Uint8Array = new Uint8Array(0), major = 1): Uint8Array {
  const pre = major === 1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const header = dict.padEnd(total - pre - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), pre);
  out.set(data, total);
  return out;
}

const f4 = (dict: string, n: number): Uint8Array => npyWith(dict, new Uint8Array(4 * n));

test('reads numpy-written .npy files of versions 1.0, 2.0 and 3.0', () => {
  for (const file of [NUMPY_V1, NUMPY_V2, NUMPY_V3]) {
    const arr = parseNpy(hex(file));
    assert.equal(arr.dtype, 'float32');
    assert.deepEqual(arr.shape, [2, 3]);
    assert.deepEqual(new Float32Array(arr.data.slice().buffer), EXPECTED);
  }
  const scalar = parseNpy(hex(NUMPY_SCALAR_F2));
  assert.equal(scalar.dtype, 'float16');
  assert.deepEqual(scalar.shape, []);
  assert.deepEqual([...scalar.data], [0x00, 0x45]);
});

test('writes exactly the bytes numpy writes', () => {
  const data = new Uint8Array(EXPECTED.buffer);
  assert.equal(
    Buffer.from(encodeNpy({ dtype: 'float32', shape: [2, 3], data })).toString('hex'),
    NUMPY_V1,
  );
  assert.equal(
    Buffer.from(encodeNpy({ dtype: 'float16', shape: [], data: Uint8Array.of(0, 0x45) })).toString(
      'hex',
    ),
    NUMPY_SCALAR_F2,
  );
});

test('write then read round-trips every dtype and shape, data 64-byte aligned', () => {
  const dtypes: NpyDType[] = ['float32', 'float16', 'uint16'];
  fc.assert(
    fc.property(
      fc.constantFrom(...dtypes),
      fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 5 }),
      fc.integer(),
      (dtype, shape, seed) => {
        const n = shape.reduce((a, d) => a * d, 1) * (dtype === 'float32' ? 4 : 2);
        const data = new Uint8Array(n).map((_, i) => (seed + i * 131) & 0xff);
        const file = encodeNpy({ dtype, shape, data });
        const back = parseNpy(file);
        assert.equal(back.dtype, dtype);
        assert.deepEqual(back.shape, shape);
        assert.deepEqual(back.data, data);
        assert.equal((file.length - data.length) % 64, 0);
      },
    ),
  );
});

test('accepts header variants numpy and other writers produce', () => {
  // key order, double quotes, no trailing comma, Python 2 long suffix, 1-D tuple, Fortran 1-D
  const variants = [
    `{'shape': (3,), 'fortran_order': False, 'descr': '<f4'}`,
    `{"descr": "<f4", "fortran_order": False, "shape": (3L,)}`,
    `{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }`,
    `{'descr':'<f4','fortran_order':True,'shape':(1,3,1)}`,
  ];
  for (const v of variants) assert.equal(parseNpy(f4(v, 3)).data.length, 12, v);
  assert.deepEqual(
    parseNpy(npyWith(`{'descr': '<u2', 'fortran_order': False, 'shape': (0, 3), }`)).shape,
    [0, 3],
  );
});

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => parseNpy(bytes, 'in.npy'),
    (e: unknown) =>
      e instanceof InputFileError && /^in\.npy: /.test(e.message) && pattern.test(e.message),
  );
}

test('rejects Fortran order, big-endian, other dtypes, object and structured arrays', () => {
  rejects(f4(`{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }`, 6), /Fortran-order/);
  rejects(f4(`{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }`, 6), /big-endian/);
  rejects(
    npyWith(`{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }`, new Uint8Array(8)),
    /dtype '<f8' is not supported/,
  );
  rejects(
    npyWith(`{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }`, new Uint8Array(1)),
    /not supported/,
  );
  rejects(
    npyWith(`{'descr': '|O', 'fortran_order': False, 'shape': (2,), }`, new Uint8Array(16)),
    /object arrays/,
  );
  rejects(
    npyWith(
      `{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }`,
      new Uint8Array(8),
    ),
    /structured/,
  );
});

test('rejects files that are not .npy, wrong versions and malformed headers', () => {
  rejects(Buffer.from('hello, this is not numpy'), /not a NumPy \.npy file/);
  rejects(new Uint8Array(0), /not a NumPy/);
  const v4 = hex(NUMPY_V1);
  v4[6] = 4;
  rejects(v4, /unsupported \.npy format version 4\.0/);
  rejects(f4(`{'descr': '<f4', 'fortran_order': False}`, 0), /'shape' is missing/);
  rejects(f4(`{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}`, 1), /unexpected value/);
  rejects(
    f4(`{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 'y'}`, 1),
    /unknown key 'x'/,
  );
  rejects(
    f4(`{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}`, 1),
    /repeats/,
  );
  rejects(f4(`{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}`, 1), /expected an integer/);
  rejects(f4(`{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} junk`, 1), /after the dict/);
  rejects(f4(`{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}`, 1), /header/);
  rejects(
    f4(`{'descr': '<f4', 'fortran_order': False, 'shape': (${'1,'.repeat(40)})}`, 1),
    /more than 32 dimensions/,
  );
});

test('rejects truncated data, trailing bytes, absurd headers and absurd shapes', () => {
  const good = hex(NUMPY_V1);
  for (let n = 0; n < good.length; n++)
    assert.throws(() => parseNpy(good.subarray(0, n)), InputFileError, `truncated to ${n}`);
  rejects(
    good.subarray(0, good.length - 1),
    /truncated: shape \(2, 3\) of <f4 needs 24 data bytes, 23 remain/,
  );
  rejects(Uint8Array.from([...good, 0]), /1 unexpected bytes after the array data/);
  const huge = new Uint8Array(12);
  huge.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0, 0xff, 0xff, 0xff, 0xff]);
  rejects(huge, /header of 4294967295 bytes is larger than/);
  rejects(
    f4(
      `{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000, 1000000000)}`,
      1,
    ),
    /truncated/,
  );
  rejects(
    f4(`{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}`, 1),
    /too large|integer|expected/,
  );
});

test('random bytes after a valid preamble never crash the parser', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 200 }),
      fc.integer({ min: 1, max: 3 }),
      (junk, major) => {
        const file = npyWith('', junk, major);
        file.set(junk.subarray(0, file.length - (major === 1 ? 10 : 12)), major === 1 ? 10 : 12);
        try {
          parseNpy(file);
        } catch (e) {
          assert.ok(e instanceof InputFileError, String(e));
        }
      },
    ),
  );
});

test('bit flips in a valid file give the array or an InputFileError, nothing else', () => {
  const good = hex(NUMPY_V1);
  fc.assert(
    fc.property(fc.array(fc.nat(good.length * 8 - 1), { minLength: 1, maxLength: 4 }), (bits) => {
      const bad = good.slice();
      for (const b of bits) bad[b >> 3] ^= 1 << (b & 7);
      try {
        const arr = parseNpy(bad);
        assert.equal(
          arr.data.length,
          arr.shape.reduce((a, d) => a * d, 1) * (arr.dtype === 'float32' ? 4 : 2),
        );
      } catch (e) {
        assert.ok(e instanceof InputFileError, String(e));
      }
    }),
    { numRuns: 2000 },
  );
});
