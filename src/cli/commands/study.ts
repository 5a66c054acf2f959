/**
 * `cdma study`: the activation sparsity and compressibility study. Trains
 * each network (its -small variant) and records, every K steps, the density
 * and the exact compressed size under ZVC, RLE and zlib in NCHW, NHWC and
 * CHWN of every saved activation and ReLU output; or measures a pretrained
 * TensorFlow.js Layers model on a folder of images. Writes DIR/results.json
 * (docs/STUDY.md) and DIR/report.html.
 */
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { InterruptedError, InvalidArgumentError } from '../../errors.js';
import { onInterrupt, SIGNAL_EXIT_CODES } from '../../io/lifecycle.js';
import { parseInteger, parseNumber } from '../../io/numbers.js';
import { checkOutput, prepareOutputDir, writeOutput } from '../../io/write.js';
import { DATASET_SPEC_HELP } from '../../data/source.js';
import { parseBackendName } from '../../nn/backend.js';
import { parseLrSchedule } from '../../train/lr-schedule.js';
import { buildStudyReport } from '../../report/study-report.js';
import { readResults, type StudyResults } from '../../study/results.js';
import { runStudy } from '../../study/runner.js';
import { runTfjsStudy } from '../../study/tfjs-model.js';
import { createProgress } from '../progress.js';
import {
  DEFAULTS,
  MAX_BATCH,
  MAX_EPOCHS,
  MAX_STEPS,
  TRAINING_HELP,
  TRAINING_RANGES as R,
} from '../defaults.js';
import { checkWarmup, given, refuseGiven } from './option-rules.js';
import {
  addPreprocessingOptions,
  parsePreprocessing,
  parseTfjsOptions,
  MAX_CLASSES,
} from '../tfjs-options.js';
import { loadImportedModel } from '../../tfjs/load.js';
import { initBackend } from '../../nn/backend.js';

export const PAPER_MODELS = 'alexnet,overfeat,nin,vgg16,squeezenet,googlenet';

interface StudyCliOptions {
  models: string;
  dataset: string;
  steps?: string;
  epochs?: string;
  every: string;
  batch?: string;
  lr: string;
  lrSchedule: string;
  warmup: string;
  momentum: string;
  weightDecay: string;
  seed: string;
  backend: string;
  limit?: string;
  out: string;
  fresh?: boolean;
  tfjsModel?: string;
  freezeTo?: string;
  classes?: string;
  images?: string;
  randomInit?: string;
  maxImages: string;
  inputRange?: string;
  resize: string;
  scale: string;
  zlibLevel: string;
  zlibImages: string;
  maps: string;
  mapLayers: string;
  mapChannels: string;
  threads: boolean;
  reportOnly?: boolean;
  quiet?: boolean;
}

const reportPath = (dir: string) => join(dir, 'report.html');

async function writeReport(results: StudyResults, dir: string): Promise<string> {
  const path = reportPath(dir);
  writeOutput(path, await buildStudyReport(results, dir), { what: 'report' });
  return path;
}

/** Options of training mode only: inference mode (--tfjs-model, --images) ignores them. */
const TRAINING_ONLY = [
  'models',
  'dataset',
  'steps',
  'epochs',
  'every',
  'lr',
  'lrSchedule',
  'warmup',
  'momentum',
  'weightDecay',
  'seed',
  'limit',
  'fresh',
] as const;

/** Options of inference mode only. */
const INFERENCE_ONLY = ['randomInit', 'maxImages'] as const;

/** What --report-only reads besides itself. */
const REPORT_ONLY_USES = new Set(['out', 'quiet', 'reportOnly']);

/** Refuses the options the chosen mode does not use. */
function checkModeOptions(o: StudyCliOptions, cmd: Command): void {
  if (o.reportOnly) {
    const other = cmd.options.map((x) => x.attributeName()).filter((k) => !REPORT_ONLY_USES.has(k));
    refuseGiven(
      cmd,
      other,
      'has no effect with --report-only, which only rebuilds DIR/report.html from DIR/results.json',
    );
    return;
  }
  if (o.images !== undefined) {
    if (o.tfjsModel === undefined) {
      throw new InvalidArgumentError(
        '--images measures a model at inference: pass the model with --tfjs-model',
      );
    }
    refuseGiven(
      cmd,
      [...TRAINING_ONLY, 'freezeTo', 'classes'],
      'applies to training mode; it has no effect with --tfjs-model and --images (inference mode)',
    );
    return;
  }
  if (o.tfjsModel !== undefined) {
    refuseGiven(
      cmd,
      ['models'],
      'names zoo networks; with --tfjs-model (and no --images) the study fine-tunes the imported model',
    );
  }
  refuseGiven(
    cmd,
    INFERENCE_ONLY,
    'applies to inference mode only: pass it with --tfjs-model and --images',
  );
  if (o.steps !== undefined && o.epochs !== undefined)
    throw new InvalidArgumentError('give --steps or --epochs, not both');
}

/** Refuses map options that --maps 0 or --map-layers 0 make pointless. */
function checkMapOptions(cmd: Command, maps: number, mapLayers: number): void {
  if (maps === 0) {
    refuseGiven(
      cmd,
      ['mapLayers', 'mapChannels'],
      'has no effect with --maps 0 (no activation maps)',
    );
  } else if (mapLayers === 0) {
    refuseGiven(
      cmd,
      ['maps', 'mapChannels'],
      'has no effect with --map-layers 0 (no activation maps)',
    );
  }
}

/** An argument as a POSIX shell reads it back. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

/** The command line that resumes this study: the options given, without --fresh. */
export function resumeCommand(cmd: Command): string {
  const args: string[] = [];
  for (const option of cmd.options) {
    const key = option.attributeName();
    if (key === 'fresh' || !given(cmd, key) || option.long === undefined) continue;
    if (option.isBoolean()) args.push(option.long);
    else args.push(option.long, String(cmd.getOptionValue(key)));
  }
  return ['cdma', cmd.name(), ...args].map(shellQuote).join(' ');
}

function summaryLines(results: StudyResults): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const f = (x: number) => x.toFixed(2);
  return results.models.map((m) => {
    const r = m.ratios;
    const ds = m.densitySeries;
    const move = ds.length > 1 ? ` (${pct(ds[0])} -> ${pct(ds[ds.length - 1])})` : '';
    return (
      `${m.model.padEnd(18)} ${m.status === 'complete' ? '' : `[${m.stepsDone}/${m.stepsPlanned}] `}density ${pct(m.density)}${move}` +
      ` | zvc ${f(r.zvc.nchw)} | rle ${f(r.rle.nchw)}/${f(r.rle.nhwc)}/${f(r.rle.chwn)} | zlib ${f(r.zlib.nchw)}/${f(r.zlib.nhwc)}/${f(r.zlib.chwn)}` +
      (m.overhead.trainSeconds > 0 && results.config.mode === 'training'
        ? ` | recording ${pct(m.overhead.fraction)} of step time`
        : '')
    );
  });
}

async function reportOnly(o: StudyCliOptions, say: (line: string) => void): Promise<void> {
  const results = readResults(join(o.out, 'results.json'));
  checkOutput(reportPath(o.out), { what: 'report' });
  say(`wrote ${await writeReport(results, o.out)}`);
}

async function run(o: StudyCliOptions, cmd: Command): Promise<void> {
  const say = (line: string) => {
    if (!o.quiet) process.stderr.write(`${line}\n`);
  };
  checkModeOptions(o, cmd);
  if (o.reportOnly) return reportOnly(o, say);
  const backend = parseBackendName(o.backend);
  const maps = parseInteger('--maps', o.maps, { min: 0, max: 64 });
  const mapLayers = parseInteger('--map-layers', o.mapLayers, { min: 0, max: 1024 });
  checkMapOptions(cmd, maps, mapLayers);
  const common = {
    backend,
    out: o.out,
    zlibLevel: parseInteger('--zlib-level', o.zlibLevel, { min: 0, max: 9 }),
    zlibSampleImages: parseInteger('--zlib-images', o.zlibImages, { min: 1, max: MAX_BATCH }),
    maps,
    mapLayers,
    mapChannels: parseInteger('--map-channels', o.mapChannels, { min: 1, max: 1024 }),
    threads: o.threads,
    log: say,
  };
  let results: StudyResults;
  let interrupted = false;
  if (o.tfjsModel !== undefined && o.images !== undefined) {
    const options = {
      ...common,
      modelPath: o.tfjsModel,
      imagesDir: o.images,
      batch: parseInteger('--batch', o.batch ?? '16', R.batch),
      maxImages: parseInteger('--max-images', o.maxImages, R.images),
      preprocessing: parsePreprocessing(o, true),
      randomInit:
        o.randomInit === undefined
          ? undefined
          : parseInteger('--random-init', o.randomInit, { min: 0, max: 2 ** 32 - 1 }),
    };
    prepareStudyFolder(o.out);
    results = (await runTfjsStudy(options)).results;
  } else {
    const steps =
      o.epochs === undefined ? parseInteger('--steps', o.steps ?? '300', R.steps) : undefined;
    const warmup = parseInteger('--warmup', o.warmup, R.warmup);
    if (steps !== undefined && given(cmd, 'warmup')) checkWarmup(warmup, steps);
    const controller = new AbortController();
    const tfjs = parseTfjsOptions(o, cmd);
    let imported;
    if (tfjs !== undefined) {
      await initBackend(backend);
      const m = await loadImportedModel(tfjs.path, {
        freezeTo: tfjs.freezeTo,
        classes: tfjs.classes,
      });
      imported = { path: tfjs.path, spec: m.spec, initialValues: m.initialValues };
    }
    const options = {
      ...common,
      imported,
      preprocessing: parsePreprocessing(o, imported !== undefined),
      models: o.models
        .split(',')
        .map((m) => m.trim())
        .filter((m) => m !== ''),
      dataset: o.dataset,
      steps,
      epochs: o.epochs === undefined ? undefined : parseInteger('--epochs', o.epochs, R.epochs),
      every: parseInteger('--every', o.every, { min: 1, max: MAX_STEPS }),
      batch: parseInteger('--batch', o.batch ?? '64', R.batch),
      lr: parseNumber('--lr', o.lr, R.lr),
      lrSchedule: parseLrSchedule(o.lrSchedule),
      warmup,
      momentum: parseNumber('--momentum', o.momentum, R.momentum),
      weightDecay: parseNumber('--weight-decay', o.weightDecay, R.weightDecay),
      seed: parseInteger('--seed', o.seed, R.seed),
      limit: o.limit === undefined ? undefined : parseInteger('--limit', o.limit, R.images),
      fresh: o.fresh ?? false,
      signal: controller.signal,
      progress: (model: string, total: number) =>
        createProgress({ total, label: model, unit: 'step', quiet: o.quiet }),
    };
    prepareStudyFolder(o.out);
    const stopInterrupt = onInterrupt(() => {
      say(
        '\ninterrupted: saving at the next step so that the same command resumes (Ctrl-C again to quit at once)',
      );
      controller.abort();
    });
    try {
      const outcome = await runStudy(options);
      results = outcome.results;
      interrupted = outcome.interrupted;
    } finally {
      stopInterrupt();
    }
  }
  const report = await writeReport(results, o.out);
  for (const line of summaryLines(results)) process.stdout.write(`${line}\n`);
  say(`wrote ${join(o.out, 'results.json')} and ${report}`);
  if (interrupted) {
    throw new InterruptedError(
      `interrupted; resume with: ${resumeCommand(cmd)}`,
      SIGNAL_EXIT_CODES.SIGINT,
    );
  }
}

/** Checks DIR (creating it) and DIR/report.html before any work starts. */
function prepareStudyFolder(dir: string): void {
  prepareOutputDir(dir, 'study folder');
  checkOutput(reportPath(dir), { what: 'report' });
}

export function registerStudy(program: Command): void {
  const cmd = program
    .command('study')
    .summary('activation sparsity and compressibility study, with an HTML report')
    .description(
      [
        'Measure how sparse and how compressible activations are.',
        'Training mode (default): trains each network and, every K steps, records for every saved ' +
          'activation and every ReLU output its density, its exact compressed size under ZVC, RLE and ' +
          'zlib in NCHW, NHWC and CHWN, and zero-pattern descriptors. Each name in --models maps to ' +
          "the network's -small variant (alexnet -> alexnet-small): the scaled networks for 28x28 / " +
          '32x32 inputs that train on this machine (a CPU) in minutes; the ImageNet-size ones do not. ' +
          'Ctrl-C saves the state at the next step, writes the report and exits 130, printing the ' +
          'command that resumes the study from DIR.',
        'Fine-tuning an imported model: --tfjs-model path/model.json (without --images) records the ' +
          'same over training of that model on --dataset (with --freeze-to and --classes as in cdma train).',
        'Inference mode: --tfjs-model path/model.json --images DIR measures the activations of a ' +
          'pretrained TensorFlow.js Layers model on a folder of images, with the same per-layer table.',
        'Writes DIR/results.json (schema: docs/STUDY.md) and DIR/report.html (opens offline).',
      ].join('\n\n'),
    )
    .requiredOption('--out <dir>', 'folder for results.json, report.html, maps/ and checkpoints/')
    .option(
      '--models <list>',
      'training mode: comma-separated networks, each run as its -small variant',
      PAPER_MODELS,
    )
    .option('--dataset <spec>', `training data: ${DATASET_SPEC_HELP}`, DEFAULTS.dataset)
    .option('--steps <n>', `training steps per network, 1 to ${MAX_STEPS} (default 300)`)
    .option(
      '--epochs <n>',
      `passes over the training split per network, 1 to ${MAX_EPOCHS}, instead of --steps`,
    )
    .option(
      '--every <k>',
      'record every k steps (and at the last step); recording costs under 5% of step time at 50 (docs/STUDY.md)',
      '50',
    )
    .option(
      '--batch <n>',
      `images per step, 1 to ${MAX_BATCH} (training: default 64; inference: default 16)`,
    )
    .option('--lr <x>', TRAINING_HELP.lr, DEFAULTS.lr)
    .option('--lr-schedule <name>', TRAINING_HELP.lrSchedule, DEFAULTS.lrSchedule)
    .option(
      '--warmup <n>',
      'steps of linear learning-rate warm-up before the schedule; one you give may not exceed --steps (without it nin-small at 0.01 loses its last ReLU early and never learns)',
      '50',
    )
    .option('--momentum <m>', TRAINING_HELP.momentum, DEFAULTS.momentum)
    .option('--weight-decay <w>', TRAINING_HELP.weightDecay, DEFAULTS.weightDecay)
    .option(
      '--seed <s>',
      `seed of initialisation, data order and dropout, ${TRAINING_HELP.seed}`,
      DEFAULTS.seed,
    )
    .option('--backend <name>', TRAINING_HELP.backend, DEFAULTS.backend)
    .option('--limit <n>', 'use at most n training images')
    .option('--fresh', 'training mode: discard what --out holds instead of resuming it')
    .option(
      '--tfjs-model <path>',
      'a TensorFlow.js Layers model.json: fine-tuned on --dataset, or measured at inference with --images',
    )
    .option(
      '--freeze-to <layer>',
      "with --tfjs-model, training: keep this layer's weights and those before it; 'none' trains all",
    )
    .option(
      '--classes <n>',
      `with --tfjs-model, training: replace the classifier head for n classes, 2 to ${MAX_CLASSES}`,
    )
    .option('--images <dir>', 'inference mode: folder of PNG/JPEG images')
    .option(
      '--random-init <seed>',
      'inference mode, for a model.json without weights: seeded weights instead of an error ' +
        '(kernels uniform in +-sqrt(6/(fan_in+fan_out)), biases and other 1-D weights zero, ' +
        'batch-norm gamma and moving variance one); the same seed gives the same weights',
    )
    .option('--max-images <n>', 'inference mode: use at most n images (by file name)', '256');
  addPreprocessingOptions(cmd)
    .option('--zlib-level <l>', 'DEFLATE level of the zlib measurements (0-9)', '6')
    .option(
      '--zlib-images <n>',
      `zlib compresses the first n images of each recorded batch (it is the slow one), 1 to ${MAX_BATCH}`,
      '4',
    )
    .option(
      '--maps <n>',
      'recorded steps (batches) that get activation-map images, per network, 0 (none) to 64',
      '4',
    )
    .option('--map-layers <n>', 'tensors per network that get activation maps, 0 to 1024', '16')
    .option('--map-channels <n>', 'channels drawn per activation map, 1 to 1024', '16')
    .addOption(
      new Option('--no-threads', 'measure on the training thread instead of a worker thread'),
    )
    .option(
      '--report-only',
      'only rebuild DIR/report.html from DIR/results.json (takes no other option but --quiet)',
    )
    .option('--quiet', 'no progress output')
    .action(async (o: StudyCliOptions, cmd: Command) => run(o, cmd));
}
