/** The codec variants every codec test runs over. */
import type { Codec } from '../../src/codec/codec.js';
import { getCodec } from '../../src/codec/registry.js';

export interface Variant {
  readonly name: string;
  readonly codec: Codec;
}

export function codecVariants(): Variant[] {
  return [
    { name: 'zvc (wasm)', codec: getCodec('zvc', {}, { zvcImpl: 'wasm' }) },
    { name: 'zvc (ts)', codec: getCodec('zvc', {}, { zvcImpl: 'ts' }) },
    { name: 'rle 8/8', codec: getCodec('rle') },
    { name: 'rle 4/4', codec: getCodec('rle', { runBits: 4, litBits: 4 }) },
    { name: 'rle 1/7', codec: getCodec('rle', { runBits: 1, litBits: 7 }) },
    { name: 'rle 20/12', codec: getCodec('rle', { runBits: 20, litBits: 12 }) },
    { name: 'zlib 6', codec: getCodec('zlib') },
    { name: 'zlib 0', codec: getCodec('zlib', { level: 0 }) },
    { name: 'none', codec: getCodec('none') },
  ];
}
