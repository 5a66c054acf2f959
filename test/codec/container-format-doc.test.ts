import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compress, dumpContainer, decompress, type CompressOptions } from '../../src/codec/api.js';
import { MAX_HEADER_BYTES } from '../../src/codec/container/format.js';

/** The inputs of docs/FORMAT.md's worked examples, exactly as the doc shows them. */
export function formatExamples(): Record<string, { data: Float32Array; options: CompressOptions }> {
  const data = new Float32Array(40);
  data[1] = 1.5;
  data[2] = -2;
  data[7] = 0.25;
  data[31] = 3;
  data[33] = -0;
  data[39] = 100;
  return {
    zvc: { data, options: { codec: 'zvc', shape: [2, 20], chunkBytes: 128 } },
    rle: { data, options: { codec: 'rle', params: { runBits: 6, litBits: 2 }, chunkBytes: 128 } },
  };
}

const doc = readFileSync(new URL('../../docs/FORMAT.md', import.meta.url), 'utf8');

function docBlock(name: string): string {
  const m = new RegExp(`<!-- example: ${name} -->\\s*\`\`\`text\\n([\\s\\S]*?)\`\`\``).exec(doc);
  assert.ok(m, `docs/FORMAT.md has no "example: ${name}" block`);
  return m[1];
}

test('the worked examples in docs/FORMAT.md are what the code writes, byte for byte', () => {
  for (const [name, { data, options }] of Object.entries(formatExamples())) {
    const bytes = compress(data, options);
    assert.equal(docBlock(name), dumpContainer(bytes), `example ${name} is stale: regenerate it`);
    // the dump's bytes column is the container itself
    const hex = docBlock(name)
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(line.indexOf('  ') + 2, line.indexOf('|')).trim())
      .join(' ')
      .split(/\s+/)
      .filter(Boolean);
    assert.deepEqual(
      Uint8Array.from(hex, (h) => parseInt(h, 16)),
      bytes,
    );
    assert.deepEqual(decompress(bytes).data, data);
    // every non-zero element is annotated, and no byte is left unexplained
    assert.doesNotMatch(docBlock(name), /past the last/);
    for (const [i, v] of [
      [2, '-2'],
      [33, '-0'],
      [39, '100'],
    ] as const)
      assert.match(docBlock(name), new RegExp(`element ${i}: ${v}$`, 'm'));
  }
});

test('docs/FORMAT.md states the header size limit the code enforces', () => {
  assert.ok(
    doc.includes(`at most ${MAX_HEADER_BYTES}`),
    `FORMAT.md should say "at most ${MAX_HEADER_BYTES}"`,
  );
  assert.ok(doc.includes(`36..${MAX_HEADER_BYTES}`));
});
