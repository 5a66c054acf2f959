/**
 * `cdma compare`: the paper's main comparison on this machine. Trains the
 * same model on the same data with the same seed as the oracle (nothing
 * leaves the device), vDNN (offload, no compression) and cDMA (offload
 * compressed with ZVC; more codecs with --codecs), and prints step time,
 * performance normalised to the oracle, device peak, bytes over the link,
 * compression ratio and density, and checks that every run ends with the
 * oracle's weights.
 */
import { Command, Option } from 'commander';
import { CdmaError, InvalidArgumentError } from '../../errors.js';
import type { FitMode, Shape3 } from '../../data/fit.js';
import { prepareDataset } from '../../data/prepare.js';
import { DATASET_SPEC_HELP, loadRawDataset, parseDatasetSpec } from '../../data/source.js';
import { initBackend, parseBackendName } from '../../nn/backend.js';
import { getModel } from '../../nn/zoo/index.js';
import { chooseInputShape } from '../../train/input-shape.js';
import { measureComputeRate } from '../../memory/calibrate.js';
import {
  cdmaRunName,
  runComparison,
  standardRuns,
  type CodecChoice,
  type CompareResult,
} from '../compare-runner.js';
import { formatBandwidth, LINK_CHOICES } from '../../memory/link.js';
import { CODEC_IDS, parseCodecOption, parseMemoryOptions } from '../../memory/options.js';
import { BYTE_SIZE_HELP, formatBytes } from '../../io/sizes.js';
import { checkOutput, writeOutput } from '../../io/write.js';
import { parseLrSchedule } from '../../train/lr-schedule.js';
import { addJsonOptions, checkJsonOptions, jsonText } from '../json-output.js';
import { addOptimizerOptions, parseOptimizerOptions } from '../training-options.js';
import { checkPolicyName, checkTrainLink } from '../names.js';
import { loadImportedModel } from '../../tfjs/load.js';
import type { ImportedModel } from '../../tfjs/import.js';
import {
  addPreprocessingOptions,
  addTfjsModelOptions,
  parsePreprocessing,
  parseModelSource,
  type TfjsCliOptions,
} from '../tfjs-options.js';
import { checkWarmup } from './option-rules.js';
import { parseInteger, parseNumber } from '../../io/numbers.js';
import {
  DEFAULTS,
  MAX_BATCH,
  MAX_STEPS,
  TRAINING_HELP,
  TRAINING_RANGES as R,
} from '../defaults.js';

/** The codecs a cDMA run can use: every one but none (vDNN). */
const COMPRESSING = CODEC_IDS.filter((c) => c !== 'none');

interface CompareCliOptions extends TfjsCliOptions {
  model?: string;
  dataset: string;
  batch: string;
  steps: string;
  link: string;
  codecs: string;
  policy: string;
  budget?: string;
  prefetchAhead: string;
  hostStore: string;
  seed: string;
  lr: string;
  optimizer: string;
  lrSchedule: string;
  warmup: string;
  momentum: string;
  weightDecay: string;
  limit?: string;
  testLimit: string;
  input?: string;
  fit: FitMode;
  backend: string;
  json?: boolean;
  jsonOut?: string;
  quiet?: boolean;
}

/** What --policy none means to compare: the oracle, which always runs. */
const POLICY_WHY = {
  none: 'compare always runs the oracle (policy none) as its reference; --policy chooses what the vDNN and cDMA runs offload: all, conv or dyn',
};

function shape(text: string): Shape3 {
  const parts = text.split(/[x,]/).map((p) => parseInteger('--input', p, { min: 1, max: 65536 }));
  if (parts.length !== 3 || (parts[0] !== 1 && parts[0] !== 3)) {
    throw new InvalidArgumentError(`--input must be CxHxW with 1 or 3 channels, got '${text}'`);
  }
  return [parts[0], parts[1], parts[2]];
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padEnd(n) : s.padStart(n);
}

export function formatComparison(r: CompareResult): string {
  const head = [
    'run',
    'policy',
    'codec',
    'step ms',
    'vs oracle',
    'stall ms',
    'peak device',
    'link/step',
    'ratio',
    'density',
    'weights',
  ];
  const rows = r.runs.map((x) => [
    x.name,
    x.plan && x.plan !== x.policy ? x.plan : x.policy,
    x.codec,
    x.stepMs.toFixed(1),
    `${x.relative.toFixed(2)}x`,
    x.codec === '-' ? '-' : x.stallMs.toFixed(1),
    formatBytes(x.peakDeviceBytes),
    x.codec === '-' ? '-' : formatBytes(x.linkBytesPerStep),
    x.codec === '-' ? '-' : `${x.ratio.toFixed(2)}x`,
    Number.isNaN(x.density) ? '-' : `${(100 * x.density).toFixed(1)}%`,
    x.matchesOracle ? 'same' : 'DIFFERENT',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => pad(c, widths[i], i < 3 || i === 10))
      .join('  ')
      .trimEnd();
  const out = [line(head), ...rows.map(line)];
  const vdnn = r.runs.find((x) => x.name === 'vDNN');
  const cdma = r.runs.find((x) => x.name === 'cDMA');
  if (vdnn && cdma) {
    out.push(
      `cDMA over vDNN: ${(vdnn.stepMs / cdma.stepMs).toFixed(2)}x faster, ${(vdnn.linkBytesPerStep / Math.max(1, cdma.linkBytesPerStep)).toFixed(2)}x fewer bytes over the link`,
    );
  }
  out.push(
    r.weightsMatch
      ? `weights: identical in every run (sha256 ${r.runs[0].weightsSha256.slice(0, 16)}...)`
      : `weights: DIFFER from the oracle in ${r.runs
          .filter((x) => !x.matchesOracle)
          .map((x) => x.name)
          .join(', ')}`,
  );
  return out.join('\n') + '\n';
}

/**
 * "zvc,zlib:level=1,rle:runBits=8,litBits=8" -> ["zvc", "zlib:level=1",
 * "rle:runBits=8,litBits=8"]: a key=value item continues the parameters of
 * the codec before it.
 */
export function splitCodecList(text: string): string[] {
  const items: string[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part === '') {
      throw new InvalidArgumentError(`--codecs has an empty item in '${text}'; write e.g. zvc,rle`);
    }
    const last = items.length - 1;
    if (last >= 0 && !part.includes(':') && part.includes('=') && items[last].includes(':')) {
      items[last] += `,${part}`;
    } else {
      items.push(part);
    }
  }
  return items;
}

/** The codecs of the cDMA runs: zvc first (always run), each once, never none (that is vDNN). */
export function parseCodecList(text: string): CodecChoice[] {
  const choices: CodecChoice[] = splitCodecList(text).map(parseCodecOption);
  if (choices.some((c) => c.id === 'none')) {
    throw new InvalidArgumentError(
      `--codecs none adds nothing to compare: vDNN (no compression) always runs; list compression codecs from ${COMPRESSING.join(', ')}`,
    );
  }
  if (!choices.some((c) => c.id === 'zvc')) choices.unshift({ id: 'zvc' });
  const seen = new Set<string>();
  for (const c of choices) {
    const name = cdmaRunName(c);
    if (seen.has(name))
      throw new InvalidArgumentError(`--codecs names ${name} twice; list each codec once`);
    seen.add(name);
  }
  return choices;
}

/** The options as numbers, every one checked, before anything is loaded. */
function parseOptions(o: CompareCliOptions, cmd: Command) {
  const tfjs = parseModelSource(o, cmd);
  const batch = parseInteger('--batch', o.batch, R.batch);
  const steps = parseInteger('--steps', o.steps, R.steps);
  const limit = o.limit === undefined ? batch * steps : parseInteger('--limit', o.limit, R.images);
  if (limit < batch) {
    throw new InvalidArgumentError(
      `--limit ${limit} is less than --batch ${batch}: a step needs a full batch of training images`,
    );
  }
  checkPolicyName(o.policy, ['all', 'conv', 'dyn'], POLICY_WHY);
  checkTrainLink(o.link);
  const { optimizer, lr } = parseOptimizerOptions(o, cmd);
  const warmup = parseInteger('--warmup', o.warmup, R.warmup);
  checkWarmup(warmup, steps);
  if (o.jsonOut !== undefined) checkOutput(o.jsonOut, { what: 'JSON summary' });
  // The memory options' own syntax (a dummy compute rate: nothing is measured yet).
  parseMemoryOptions(
    { budget: o.budget, link: o.link, hostStore: o.hostStore, prefetchAhead: o.prefetchAhead },
    1,
  );
  return {
    batch,
    steps,
    limit,
    seed: parseInteger('--seed', o.seed, R.seed),
    lr,
    optimizer,
    lrSchedule: parseLrSchedule(o.lrSchedule),
    warmup,
    momentum: parseNumber('--momentum', o.momentum, R.momentum),
    weightDecay: parseNumber('--weight-decay', o.weightDecay, R.weightDecay),
    backend: parseBackendName(o.backend),
    codecs: parseCodecList(o.codecs),
    testLimit: parseInteger('--test-limit', o.testLimit, R.images),
    requested: o.input === undefined ? undefined : shape(o.input),
    source: parseDatasetSpec(o.dataset),
    tfjs,
    preprocessing: parsePreprocessing(o, tfjs !== undefined),
  };
}

/** An error that ends the comparison when a run's weights differ from the oracle's. */
function notLossless(result: CompareResult): CdmaError | undefined {
  if (result.weightsMatch) return undefined;
  const names = result.runs
    .filter((x) => !x.matchesOracle)
    .map((x) => x.name)
    .join(', ');
  return new CdmaError(
    'NOT_LOSSLESS',
    `weights differ from the oracle in ${names}: offloading was not lossless`,
  );
}

async function run(o: CompareCliOptions, cmd: Command): Promise<void> {
  checkJsonOptions(cmd);
  const {
    batch,
    steps,
    limit,
    seed,
    lr,
    optimizer,
    lrSchedule,
    warmup,
    momentum,
    weightDecay,
    backend,
    codecs,
    testLimit,
    requested,
    source,
    tfjs,
    preprocessing,
  } = parseOptions(o, cmd);
  const say = (line: string) => {
    if (!o.quiet) process.stderr.write(`${line}\n`);
  };
  let imported: ImportedModel | undefined;
  if (tfjs !== undefined) {
    await initBackend(backend);
    imported = await loadImportedModel(tfjs.path, {
      freezeTo: tfjs.freezeTo,
      classes: tfjs.classes,
    });
  } else {
    getModel(o.model as string); // unknown names fail here, listing the zoo
  }
  say(`loading ${source.spec}`);
  const target = imported?.inputShape ?? requested;
  const raw = loadRawDataset(source, { limit, testLimit, target, fit: o.fit });
  const inputShape =
    imported?.inputShape ??
    chooseInputShape(o.model as string, raw.shape, raw.numClasses, requested).shape;
  if (imported !== undefined && raw.numClasses > imported.spec.numClasses) {
    throw new InvalidArgumentError(
      `${tfjs?.path}: the model has ${imported.spec.numClasses} classes and the dataset ${raw.numClasses}; ` +
        `pass --classes ${raw.numClasses} to replace its head`,
    );
  }
  const dataset = prepareDataset(raw, { shape: inputShape, fit: o.fit, preprocessing });
  const spec =
    imported?.spec ??
    getModel(o.model as string, { inputShape: dataset.shape, numClasses: dataset.numClasses });

  await initBackend(backend);
  const rate =
    o.link.trim().toLowerCase() === 'paper-scaled'
      ? (await measureComputeRate()).flopsPerSecond
      : undefined;
  const base = parseMemoryOptions(
    {
      policy: o.policy,
      codec: 'none',
      budget: o.budget,
      link: o.link,
      hostStore: o.hostStore,
      prefetchAhead: o.prefetchAhead,
    },
    rate,
  );
  const runs = standardRuns({ ...base, policy: base.policy }, codecs);
  say(
    `comparing ${runs.map((r) => r.name).join(', ')} on ${spec.name} (${dataset.shape.join('x')}), batch ${batch}, ${steps} steps, ` +
      `policy ${base.policy}, link ${base.link.name} (${formatBandwidth(base.link)}` +
      (rate ? `; this machine: ${(rate / 1e9).toFixed(1)} GFLOP/s forward conv` : '') +
      ')' +
      (base.budgetBytes ? `, budget ${formatBytes(base.budgetBytes)}` : ''),
  );
  const result = await runComparison({
    spec,
    initialValues: imported?.initialValues,
    dataset,
    batch,
    steps,
    seed,
    lr,
    optimizer,
    lrSchedule,
    warmupSteps: warmup,
    momentum,
    weightDecay,
    backend,
    runs,
    onRunStart: (r) => say(`run ${r.name}...`),
    onStep: (r, rec) => say(`  ${r.name} step ${rec.step}/${steps}: ${rec.ms.toFixed(0)} ms`),
  });
  const failure = notLossless(result);
  if (o.json || o.jsonOut !== undefined) {
    const json = {
      status: failure === undefined ? 'ok' : 'failed',
      ...(failure === undefined ? {} : { error: { code: failure.code, message: failure.message } }),
      model: spec.name,
      dataset: dataset.name,
      inputShape: dataset.shape,
      batch,
      steps,
      seed,
      lr,
      optimizer,
      lrSchedule,
      warmupSteps: warmup,
      momentum: optimizer === 'adam' ? 0 : momentum,
      weightDecay,
      policy: base.policy,
      budgetBytes: base.budgetBytes ?? null,
      link: {
        name: base.link.name,
        bytesPerSecond: base.link.bytesPerSecond,
        latencySeconds: base.link.latencySeconds,
      },
      computeFlopsPerSecond: rate ?? null,
      weightsMatch: result.weightsMatch,
      runs: result.runs.map(({ summary, stats, ...x }) => ({
        ...x,
        density: Number.isNaN(x.density) ? null : x.density,
        stepTimesMs: summary.records.map((r) => r.ms),
        layers: stats.length > 0 ? stats[stats.length - 1].layers : [],
      })),
    };
    const text = jsonText(json);
    if (o.jsonOut !== undefined) writeOutput(o.jsonOut, text, { what: 'JSON summary' });
    process.stdout.write(o.json ? text : formatComparison(result));
  } else {
    process.stdout.write(formatComparison(result));
  }
  if (failure !== undefined) throw failure;
}

export function registerCompare(program: Command): void {
  const cmd = program
    .command('compare')
    .summary(
      "oracle vs vDNN vs cDMA on the same model, data and seed (the paper's main comparison)",
    )
    .description(
      "The paper's main comparison: trains the same model, data and seed as the oracle (nothing leaves the device), " +
        'vDNN (offload uncompressed) and cDMA (offload compressed with ZVC, and any --codecs), prints step time, ' +
        'performance normalised to the oracle, peak device bytes, bytes over the link, compression ratio and density, ' +
        'and checks that every run ends with bit-identical weights.',
    )
    .option('--model <name>', 'zoo network, e.g. vgg16-small (see `cdma models`)')
    .option('--dataset <spec>', `dataset: ${DATASET_SPEC_HELP}`, DEFAULTS.dataset)
    .option('--batch <n>', `images per training step, 1 to ${MAX_BATCH}`, DEFAULTS.batch)
    .option(
      '--steps <n>',
      `training steps per run, 1 to ${MAX_STEPS} (step time is the median, first step excluded)`,
      '5',
    )
    .option(
      '--link <name>',
      `device-host link: ${LINK_CHOICES.join(', ')}; paper-scaled gives this machine the paper's compute-to-PCIe ratio`,
      'paper-scaled',
    )
    .option(
      '--codecs <list>',
      `codecs for cDMA runs, comma-separated from ${COMPRESSING.join(', ')}, each with optional ` +
        'parameters (zlib:level=1); zvc always runs, vDNN stands for none',
      'zvc',
    )
    .option(
      '--policy <name>',
      'what the vDNN and cDMA runs offload: all, conv or dyn (the oracle, policy none, always runs)',
      'all',
    )
    .option(
      '--budget <size>',
      `device-memory budget for the vDNN and cDMA runs, a byte size (${BYTE_SIZE_HELP})`,
    )
    .option(
      '--prefetch-ahead <n>',
      'layers (with offloaded data) the backward pass prefetches ahead',
      '1',
    )
    .option(
      '--host-store <dir>',
      'where offloaded data lives: ram, or a directory for checksummed spill files',
      'ram',
    )
    .option(
      '--seed <s>',
      `seed of initialisation, data order and dropout (shared by every run), ${TRAINING_HELP.seed}`,
      DEFAULTS.seed,
    )
    .option('--limit <n>', 'training images to load, at least --batch (default: batch x steps)')
    .option(
      '--test-limit <n>',
      'test images to load (each run evaluates them once at the end)',
      '100',
    )
    .option(
      '--input <CxHxW>',
      "train at this input shape (default: the dataset's if the network takes it)",
    )
    .addOption(
      new Option('--fit <mode>', 'how images are fitted to another input size')
        .choices(['auto', 'resize', 'pad'])
        .default('auto'),
    )
    .option('--backend <name>', TRAINING_HELP.backend, DEFAULTS.backend)
    .option('--quiet', 'no progress on stderr');
  addOptimizerOptions(cmd, '--steps');
  addTfjsModelOptions(cmd);
  addPreprocessingOptions(cmd);
  addJsonOptions(
    cmd,
    'the results, with per-step times and per-layer statistics,',
    'its "status" is "ok", or "failed" with the error when a run\'s weights differ from the oracle\'s',
  ).action(run);
}
