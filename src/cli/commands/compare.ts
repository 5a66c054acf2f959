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
import type { CodecId } from '../../codec/codec.js';
import { CdmaError, InvalidArgumentError } from '../../errors.js';
import type { FitMode, Shape3 } from '../../data/fit.js';
import { prepareDataset } from '../../data/prepare.js';
import { DATASET_SPEC_HELP, loadRawDataset, parseDatasetSpec } from '../../data/source.js';
import { initBackend, parseBackendName } from '../../nn/backend.js';
import { getModel } from '../../nn/zoo/index.js';
import { chooseInputShape } from '../../train/input-shape.js';
import { measureComputeRate } from '../../memory/calibrate.js';
import { runComparison, standardRuns, type CompareResult } from '../compare-runner.js';
import { formatBandwidth, LINK_CHOICES } from '../../memory/link.js';
import { CODEC_IDS, parseCodecOption, parseMemoryOptions } from '../../memory/options.js';
import { formatBytes } from '../../io/sizes.js';
import { parseInteger, parseNumber } from '../../io/numbers.js';
import { DEFAULT_LR } from '../defaults.js';

interface CompareCliOptions {
  model: string;
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
  limit?: string;
  testLimit: string;
  input?: string;
  fit: FitMode;
  backend: string;
  json?: boolean;
  quiet?: boolean;
}

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

async function run(o: CompareCliOptions): Promise<void> {
  const batch = parseInteger('--batch', o.batch, { min: 1, max: 65536 });
  const steps = parseInteger('--steps', o.steps, { min: 1 });
  const seed = parseInteger('--seed', o.seed, { min: 0, max: 2 ** 32 - 1 });
  const lr = parseNumber('--lr', o.lr, { min: 0, aboveMin: true });
  const backend = parseBackendName(o.backend);
  const codecs = o.codecs.split(',').map((c) => parseCodecOption(c.trim()).id) as CodecId[];
  if (!codecs.includes('zvc')) codecs.unshift('zvc');
  if (!['all', 'conv', 'dyn'].includes(o.policy)) {
    throw new InvalidArgumentError(`--policy must be all, conv or dyn, got '${o.policy}'`);
  }
  const limit =
    o.limit === undefined ? batch * steps : parseInteger('--limit', o.limit, { min: batch });
  const testLimit = parseInteger('--test-limit', o.testLimit, { min: 1 });
  const requested = o.input === undefined ? undefined : shape(o.input);
  const say = (line: string) => {
    if (!o.quiet) process.stderr.write(`${line}\n`);
  };

  // Validate the memory options before the (slow) data loading.
  parseMemoryOptions(
    { budget: o.budget, link: o.link, hostStore: o.hostStore, prefetchAhead: o.prefetchAhead },
    1,
  );
  const source = parseDatasetSpec(o.dataset);
  getModel(o.model); // unknown names fail here, listing the zoo
  say(`loading ${source.spec}`);
  const raw = loadRawDataset(source, { limit, testLimit, target: requested, fit: o.fit });
  const choice = chooseInputShape(o.model, raw.shape, raw.numClasses, requested);
  const dataset = prepareDataset(raw, { shape: choice.shape, fit: o.fit });
  const spec = getModel(o.model, { inputShape: dataset.shape, numClasses: dataset.numClasses });

  await initBackend(backend);
  const rate =
    o.link.trim().toLowerCase() === 'paper-scaled'
      ? measureComputeRate().flopsPerSecond
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
    dataset,
    batch,
    steps,
    seed,
    lr,
    backend,
    runs,
    onRunStart: (r) => say(`run ${r.name}...`),
    onStep: (r, rec) => say(`  ${r.name} step ${rec.step}/${steps}: ${rec.ms.toFixed(0)} ms`),
  });
  if (o.json) {
    const json = {
      model: spec.name,
      dataset: dataset.name,
      inputShape: dataset.shape,
      batch,
      steps,
      seed,
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
    process.stdout.write(JSON.stringify(json, null, 2) + '\n');
  } else {
    process.stdout.write(formatComparison(result));
  }
  if (!result.weightsMatch) {
    throw new CdmaError(
      'NOT_LOSSLESS',
      `weights differ from the oracle in ${result.runs
        .filter((x) => !x.matchesOracle)
        .map((x) => x.name)
        .join(', ')}: offloading was not lossless`,
    );
  }
}

export function registerCompare(program: Command): void {
  program
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
    .requiredOption('--model <name>', 'zoo network, e.g. vgg16-small (see `cdma models`)')
    .option('--dataset <spec>', `dataset: ${DATASET_SPEC_HELP}`, 'mnist')
    .option('--batch <n>', 'images per training step', '32')
    .option(
      '--steps <n>',
      'training steps per run (step time is the median, first step excluded)',
      '5',
    )
    .option(
      '--link <link>',
      `device-host link: ${LINK_CHOICES.join(', ')}; paper-scaled gives this machine the paper's compute-to-PCIe ratio`,
      'paper-scaled',
    )
    .option(
      '--codecs <list>',
      `codecs for cDMA runs, comma-separated from ${CODEC_IDS.filter((c) => c !== 'none').join(', ')} (zvc always runs)`,
      'zvc',
    )
    .addOption(
      new Option('--policy <name>', 'what vDNN and cDMA offload: all, conv or dyn')
        .choices(['all', 'conv', 'dyn'])
        .default('all'),
    )
    .option('--budget <bytes>', 'device-memory budget for the vDNN and cDMA runs, e.g. 64MiB')
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
      'seed of initialisation, data order and dropout (shared by every run)',
      '1',
    )
    .option('--lr <x>', 'base learning rate of SGD', DEFAULT_LR)
    .option('--limit <n>', 'training images to load (default: batch x steps)')
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
    .option('--backend <name>', 'TensorFlow.js backend: wasm or cpu', 'wasm')
    .option(
      '--json',
      'print the results as JSON (with per-step times and per-layer statistics) instead of a table',
    )
    .option('--quiet', 'no progress on stderr')
    .action(run);
}
