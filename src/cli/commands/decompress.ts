/** `cdma decompress`: a cdma container back into a NumPy .npy tensor. */
import type { Command } from 'commander';
import { CdmaError, CorruptDataError } from '../../errors.js';
import { decompress } from '../../codec/api.js';
import { FILE_LIMITS } from '../../io/limits.js';
import { readBounded } from '../../io/read.js';
import { checkOutput, writeOutput } from '../../io/write.js';
import { npyHeader } from '../../io/npy.js';
import { formatBytes } from '../../io/sizes.js';
import { jsonHelp, jsonText } from '../json-output.js';

/** Runs `fn`, prefixing any corruption it reports with the file's name. */
export function naming<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CorruptDataError) throw new CorruptDataError(`${path}: ${e.message}`);
    if (e instanceof CdmaError) throw new CdmaError(e.code, `${path}: ${e.message}`);
    throw e;
  }
}

const NPY_DTYPE = { float32: 'float32', float16: 'float16', bfloat16: 'uint16' } as const;

function runDecompress(input: string, output: string, flags: { json?: boolean }): void {
  checkOutput(output, { inputs: [input] });
  const bytes = readBounded(input, { what: 'input', maxBytes: FILE_LIMITS.container, stdin: true });
  const { data, dtype, shape, layout } = naming(input, () => decompress(bytes));
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  writeOutput(output, [npyHeader(NPY_DTYPE[dtype], shape), raw], { inputs: [input] });
  if (flags.json) {
    process.stdout.write(
      jsonText({
        input,
        output,
        dtype,
        npyDtype: NPY_DTYPE[dtype],
        shape,
        layout,
        rawBytes: raw.length,
      }),
    );
    return;
  }
  const note = dtype === 'bfloat16' ? ' (bfloat16 written as uint16 bit patterns)' : '';
  const where = layout === 'flat' ? '' : ` ${layout}`;
  process.stdout.write(
    `${input} -> ${output}: ${dtype} (${shape.join(', ')})${where}, ${formatBytes(raw.length)}${note}\n`,
  );
}

export function registerDecompress(program: Command): void {
  program
    .command('decompress')
    .summary('decompress a cdma container into a NumPy .npy tensor')
    .description(
      'Decompress a cdma container into a NumPy .npy file with the original shape, layout and ' +
        "bytes (bfloat16 is written as uint16 '<u2' bit patterns). Every chunk's checksum is " +
        'verified; a damaged container is an error naming the problem, and OUT is written whole ' +
        'or not at all.',
    )
    .argument('<in.cdma>', "container to read ('-' for standard input)")
    .argument('<out.npy>', 'NumPy file to write')
    .option('--json', jsonHelp('what was written (dtype, shape, layout, bytes)'))
    .addHelpText('after', '\nExample:\n  cdma decompress act.cdma act.npy')
    .action((input: string, output: string, flags: { json?: boolean }) =>
      runDecompress(input, output, flags),
    );
}
