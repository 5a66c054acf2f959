/** `cdma inspect`: what a cdma container holds and how well it compressed. */
import type { Command } from 'commander';
import { InvalidArgumentError } from '../../errors.js';
import { dumpContainer, inspect, type InspectReport } from '../../codec/api.js';
import { FILE_LIMITS } from '../../io/limits.js';
import { readBounded } from '../../io/read.js';
import { formatBytes } from '../../io/sizes.js';
import { naming } from './decompress.js';
import { jsonHelp } from '../json-output.js';

function paramsText(params: Readonly<Record<string, number>>): string {
  const entries = Object.entries(params);
  return entries.length === 0 ? '' : ` (${entries.map(([k, v]) => `${k}=${v}`).join(', ')})`;
}

/** The report as aligned "field  value" lines, and a chunk table when asked. */
export function formatReport(path: string, r: InspectReport, withChunks: boolean): string {
  const layout =
    r.layout === 'flat'
      ? 'flat'
      : r.codecLayout === r.layout
        ? r.layout
        : `${r.layout} (codec ran on ${r.codecLayout})`;
  const rows: [string, string][] = [
    ['file', path],
    ['format', `cdma container v${r.version}`],
    ['codec', `${r.codec}${paramsText(r.params)}`],
    ['dtype', r.dtype],
    ['shape', `(${r.shape.join(', ')})`],
    ['layout', layout],
    ['elements', String(r.elements)],
    ['chunks', `${r.chunks.length} (up to ${r.chunkElements} elements each)`],
    ['raw', `${formatBytes(r.rawBytes)} (${r.rawBytes} B)`],
    [
      'compressed',
      `${formatBytes(r.compressedBytes)} (${r.compressedBytes} B, header ${r.headerBytes} B)`,
    ],
    ['ratio', `${r.ratio.toFixed(3)}x`],
    ['density', `${r.density.toFixed(4)} (${r.nonZeros} non-zero elements)`],
  ];
  const lines = rows.map(([k, v]) => `${k.padEnd(11)} ${v}`);
  if (withChunks && r.chunks.length > 0) {
    lines.push('', 'chunk      offset    raw B  compressed B   ratio  density  crc32');
    for (const c of r.chunks)
      lines.push(
        [
          String(c.index).padStart(5),
          String(c.offset).padStart(11),
          String(c.rawBytes).padStart(8),
          String(c.compressedBytes).padStart(13),
          c.ratio.toFixed(2).padStart(7),
          c.density.toFixed(4).padStart(8),
          ` ${c.crc32.toString(16).padStart(8, '0')}`,
        ].join(' '),
      );
  }
  return lines.join('\n') + '\n';
}

interface InspectFlags {
  json?: boolean;
  chunks?: boolean;
  dump?: boolean;
}

/** --dump prints only the bytes; --json already holds the chunks. */
function checkFlags(flags: InspectFlags): void {
  if (flags.dump && (flags.json || flags.chunks)) {
    throw new InvalidArgumentError(
      `--${flags.json ? 'json' : 'chunks'} has no effect with --dump, which prints only the annotated bytes; give one of them`,
    );
  }
  if (flags.json && flags.chunks) {
    throw new InvalidArgumentError(
      '--chunks has no effect with --json: the JSON report always lists the chunks',
    );
  }
}

function runInspect(input: string, flags: InspectFlags): void {
  checkFlags(flags);
  const bytes = readBounded(input, { what: 'input', maxBytes: FILE_LIMITS.container, stdin: true });
  const report = naming(input, () => inspect(bytes));
  if (flags.dump) {
    process.stdout.write(dumpContainer(bytes));
    return;
  }
  process.stdout.write(
    flags.json
      ? JSON.stringify({ file: input, ...report }, null, 2) + '\n'
      : formatReport(input, report, !!flags.chunks),
  );
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .summary('show what a cdma container holds: codec, shape, sizes, ratio, density, chunks')
    .description(
      "Show a cdma container's codec and parameters, dtype, shape, layout, sizes, compression " +
        'ratio and density (non-zero elements / elements). Every chunk is decoded, so this also ' +
        'verifies every checksum; a damaged container is an error naming the problem.',
    )
    .argument('<in.cdma>', "container to read ('-' for standard input)")
    .option('--json', jsonHelp('the full report, chunks included,'))
    .option(
      '--chunks',
      'also print a table of the chunks (offset, sizes, ratio, density, CRC-32); not with --json',
    )
    .option(
      '--dump',
      'print every byte as an annotated hex dump (header fields, frames, zvc blocks) instead of the report',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  cdma inspect act.cdma\n  cdma inspect --json act.cdma\n  cdma inspect --dump small.cdma',
    )
    .action((input: string, flags: InspectFlags) => runInspect(input, flags));
}
