/** `cdma compress`: a NumPy .npy tensor into a cdma container. */
import { Command, InvalidArgumentError as CommanderArgumentError, Option } from 'commander';
import { InputFileError, InvalidArgumentError } from '../../errors.js';
import { compress } from '../../codec/api.js';
import type { CodecId, CodecParams, DType } from '../../codec/codec.js';
import {
  DEFAULT_CHUNK_BYTES,
  MAX_CHUNK_BYTES,
  type ContainerLayout,
} from '../../codec/container/format.js';
import { LAYOUTS } from '../../codec/layout.js';
import { CODEC_DESCRIPTIONS, CODEC_IDS, CODEC_PARAMS, parseParams } from '../../codec/registry.js';
import { FILE_LIMITS } from '../../io/limits.js';
import { readBounded } from '../../io/read.js';
import { checkOutput, writeOutput } from '../../io/write.js';
import { parseNpy } from '../../io/npy.js';
import { BYTE_SIZE_HELP, formatBytes, parseByteSize } from '../../io/sizes.js';
import { parseInteger } from '../../io/numbers.js';
import { jsonHelp, jsonText } from '../json-output.js';

/** Commander shows its own usage hint for argument errors it is handed. */
function asOptionParser<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (e) {
      throw new CommanderArgumentError((e as Error).message);
    }
  };
}
function parseParamOption(text: string, previous?: CodecParams): CodecParams {
  return { ...previous, ...asOptionParser(parseParams)(text) };
}

const parseLevel = asOptionParser((text) => parseInteger('--level', text, { min: 0, max: 9 }));

/** Smallest chunk of any dtype: 32 elements of 2 bytes. */
const MIN_CHUNK_BYTES = 64;

/** The default chunk size as an option value: 1MiB. */
function formatChunk(bytes: number): string {
  return bytes % 2 ** 20 === 0 ? `${bytes / 2 ** 20}MiB` : String(bytes);
}

/** A byte size from 64 B to 1 GiB; that it is whole elements is checked against the dtype later. */
function parseChunkSize(text: string): number {
  const bytes = parseByteSize(text, '--chunk-size', MIN_CHUNK_BYTES);
  if (bytes > MAX_CHUNK_BYTES) {
    throw new InvalidArgumentError(
      `--chunk-size must be at most ${formatBytes(MAX_CHUNK_BYTES)}, got '${text}'`,
    );
  }
  return bytes;
}

interface CompressFlags {
  codec: CodecId;
  layout?: ContainerLayout;
  codecLayout?: ContainerLayout;
  level?: number;
  param?: CodecParams;
  chunkSize: string;
  bfloat16?: boolean;
  json?: boolean;
}

function runCompress(input: string, output: string, flags: CompressFlags): void {
  const chunkBytes = parseChunkSize(flags.chunkSize);
  checkOutput(output, { inputs: [input] });
  const arr = parseNpy(
    readBounded(input, { what: 'input', maxBytes: FILE_LIMITS.npy, stdin: true }),
    input,
  );
  let dtype: DType;
  if (arr.dtype === 'uint16') {
    if (!flags.bfloat16)
      throw new InputFileError(
        `${input}: holds uint16; pass --bfloat16 if those are bfloat16 bit patterns (other integer data is not supported)`,
      );
    dtype = 'bfloat16';
  } else {
    if (flags.bfloat16)
      throw new InvalidArgumentError(
        `--bfloat16 needs a uint16 ('<u2') .npy input; ${input} holds ${arr.dtype}`,
      );
    dtype = arr.dtype;
  }
  const params = { ...flags.param };
  if (flags.level !== undefined) {
    if (flags.param?.level !== undefined)
      throw new InvalidArgumentError(
        `--level ${flags.level} and --param level=${flags.param.level} both set the zlib level; give one`,
      );
    if (flags.codec !== 'zlib')
      throw new InvalidArgumentError(`--level applies to --codec zlib, not ${flags.codec}`);
    params.level = flags.level;
  }
  if ((flags.layout || flags.codecLayout) && arr.shape.length !== 4)
    throw new InvalidArgumentError(
      `--layout and --codec-layout need a 4-D tensor; ${input} has shape (${arr.shape.join(', ')})`,
    );
  if (flags.codecLayout && !flags.layout)
    throw new InvalidArgumentError(
      '--codec-layout needs --layout (the layout of the input tensor)',
    );
  const container = compress(arr.data, {
    codec: flags.codec,
    params,
    dtype,
    shape: arr.shape,
    layout: flags.layout,
    codecLayout: flags.codecLayout,
    chunkBytes,
  });
  writeOutput(output, container, { inputs: [input] });
  const raw = arr.data.length;
  const ratio = container.length > 0 ? raw / container.length : 0;
  if (flags.json) {
    process.stdout.write(
      jsonText({
        input,
        output,
        dtype,
        shape: arr.shape,
        layout: flags.layout ?? 'flat',
        codecLayout: flags.codecLayout ?? flags.layout ?? 'flat',
        codec: flags.codec,
        params,
        chunkBytes,
        rawBytes: raw,
        containerBytes: container.length,
        ratio,
      }),
    );
    return;
  }
  process.stdout.write(
    `${input} -> ${output}: ${dtype} (${arr.shape.join(', ')}) with ${flags.codec}, ` +
      `${formatBytes(raw)} -> ${formatBytes(container.length)} (ratio ${ratio.toFixed(2)}x)\n`,
  );
}

/** "rle: runBits (default 8), litBits (default 8); zlib: level (default 6)" from the registry. */
function paramsHelp(): string {
  return CODEC_IDS.filter((id) => CODEC_PARAMS[id].length > 0)
    .map(
      (id) =>
        `${id}: ${CODEC_PARAMS[id].map((s) => `${s.name} ${s.min}-${s.max} (default ${s.default})`).join(', ')}`,
    )
    .join('; ');
}

export function registerCompress(program: Command): void {
  program
    .command('compress')
    .summary('compress a NumPy .npy tensor into a cdma container')
    .description(
      'Compress a NumPy .npy tensor (float32, float16, or bfloat16 stored as uint16) into a ' +
        'self-describing, chunked, checksummed cdma container (docs/FORMAT.md). ' +
        'OUT is written whole or not at all (temp file, then rename).',
    )
    .argument('<in.npy>', "input tensor (.npy, C order, little-endian; '-' for standard input)")
    .argument('<out.cdma>', 'container to write')
    .addOption(
      new Option(
        '-c, --codec <codec>',
        CODEC_IDS.map((id) => `${id}: ${CODEC_DESCRIPTIONS[id]}`).join('; '),
      )
        .choices(CODEC_IDS)
        .default('zvc'),
    )
    .addOption(
      new Option(
        '--layout <layout>',
        'layout of the 4-D input tensor, axes slowest to fastest (recorded; decompress restores it)',
      ).choices(LAYOUTS),
    )
    .addOption(
      new Option(
        '--codec-layout <layout>',
        'layout the codec runs on: the tensor is transposed to it before compressing and back after decompressing (default: --layout)',
      ).choices(LAYOUTS),
    )
    .option('--level <0-9>', 'zlib level, 0 (store) to 9 (smallest); default 6', parseLevel)
    .option(
      '--param <name=value,...>',
      `set codec parameters (repeatable): ${paramsHelp()}`,
      parseParamOption,
    )
    .addOption(
      new Option(
        '--chunk-size <size>',
        `raw bytes per independently decodable chunk, a byte size (${BYTE_SIZE_HELP}): ` +
          'a multiple of 32 elements, up to 1GiB',
      ).default(formatChunk(DEFAULT_CHUNK_BYTES)),
    )
    .option('--bfloat16', "the input is uint16 ('<u2') holding bfloat16 bit patterns")
    .option('--json', jsonHelp('what was written (shape, codec, sizes, ratio)'))
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  cdma compress act.npy act.cdma\n' +
        '  cdma compress --codec zlib --level 9 --layout nchw --codec-layout nhwc act.npy act.cdma\n' +
        '  cdma compress --codec rle --param runBits=12,litBits=4 act.npy act.cdma\n' +
        '  cdma compress --bfloat16 --chunk-size 4MiB act_bf16.npy act.cdma',
    )
    .action((input: string, output: string, flags: CompressFlags) =>
      runCompress(input, output, flags),
    );
}
