import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CorruptDataError } from '../../src/errors.js';
import { codecVariants } from './codecs.js';
import { randomTensor } from './helpers.js';

/** Decoding must give exactly byteLength bytes or a CorruptDataError, nothing else. */
function decodesOrCorrupt(decode: () => Uint8Array, byteLength: number): 'ok' | 'corrupt' {
  try {
    const out = decode();
    assert.equal(out.length, byteLength);
    return 'ok';
  } catch (e) {
    if (e instanceof CorruptDataError) return 'corrupt';
    throw e;
  }
}

for (const { name, codec } of codecVariants()) {
  test(`${name}: random bit flips, truncations and extensions end in output of the right length or CorruptDataError`, () => {
    const outcomes = { ok: 0, corrupt: 0 };
    fc.assert(
      fc.property(
        fc.record({
          eb: fc.constantFrom(2 as const, 4 as const),
          n: fc.integer({ min: 0, max: 700 }),
          density: fc.double({ min: 0, max: 1, noNaN: true }),
          seed: fc.integer(),
          flips: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
          cut: fc.nat(),
          extra: fc.uint8Array({ minLength: 1, maxLength: 9 }),
        }),
        ({ eb, n, density, seed, flips, cut, extra }) => {
          const src = randomTensor(n, eb, density, seed);
          const enc = codec.encode(src, eb).slice();
          const flipped = enc.slice();
          if (flipped.length > 0)
            for (const f of flips) flipped[(f >>> 3) % flipped.length] ^= 1 << (f & 7);
          outcomes[decodesOrCorrupt(() => codec.decode(flipped, eb, src.length), src.length)]++;
          // A strictly shorter or longer payload of a valid stream, or the wrong size, never passes silently.
          const truncated = enc.subarray(0, enc.length === 0 ? 0 : cut % enc.length);
          if (truncated.length < enc.length)
            assert.throws(() => codec.decode(truncated, eb, src.length), CorruptDataError);
          const longer = new Uint8Array(enc.length + extra.length);
          longer.set(enc);
          longer.set(extra, enc.length);
          outcomes[decodesOrCorrupt(() => codec.decode(longer, eb, src.length), src.length)]++;
          outcomes[
            decodesOrCorrupt(
              () => codec.decode(enc, eb, src.length + eb * 32),
              src.length + eb * 32,
            )
          ]++;
        },
      ),
      { numRuns: 250 },
    );
    assert.ok(outcomes.corrupt > 0, 'some damaged payloads were detected');
  });

  test(`${name}: random garbage never crashes the decoder`, () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.constantFrom(2 as const, 4 as const),
        fc.nat(2000),
        (bytes, eb, n) => {
          decodesOrCorrupt(() => codec.decode(bytes, eb, n * eb), n * eb);
        },
      ),
      { numRuns: 300 },
    );
  });
}
