/**
 * `cdma study`: the activation sparsity and compressibility study. Trains
 * each network (its -small variant) and records, every K steps, the density
 * and the exact compressed size under ZVC, RLE and zlib in NCHW, NHWC and
 * CHWN of every saved activation and ReLU output; or measures a pretrained
 * TensorFlow.js Layers model on a folder of images. Writes DIR/results.json
 * (docs/STUDY.md) and DIR/report.html.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { InvalidArgumentError } from '../../errors.js';
import { parseInteger, parseNumber } from '../../io/numbers.js';
import { DATASET_SPEC_HELP } from '../../data/source.js';
import { parseBackendName } from '../../nn/backend.js';
import { parseLrSchedule } from '../../train/lr-schedule.js';
import { buildStudyReport } from '../../report/study-report.js';
import { readResults, type StudyResults } from '../../study/results.js';
import { runStudy } from '../../study/runner.js';
import { runTfjsStudy } from '../../study/tfjs-model.js';
import { createProgress } from '../progress.js';
import { DEFAULT_LR } from '../defaults.js';

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
  images?: string;
  maxImages: string;
  inputRange: string;
  zlibLevel: string;
  zlibImages: string;
  maps: string;
  mapLayers: string;
  mapChannels: string;
  threads: boolean;
  reportOnly?: boolean;
  quiet?: boolean;
}

function range(text: string): [number, number] {
  const parts = text.split(',').map((p) => {
    try {
      return parseNumber('--input-range', p);
    } catch {
      return NaN;
    }
  });
  if (parts.length !== 2 || !parts.every(Number.isFinite) || parts[0] === parts[1]) {
    throw new InvalidArgumentError(
      `--input-range must be LO,HI (two different numbers), got '${text}'`,
    );
  }
  return [parts[0], parts[1]];
}

async function writeReport(results: StudyResults, dir: string): Promise<string> {
  const path = join(dir, 'report.html');
  writeFileSync(path, await buildStudyReport(results, dir));
  return path;
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

async function run(o: StudyCliOptions): Promise<void> {
  const say = (line: string) => {
    if (!o.quiet) process.stderr.write(`${line}\n`);
  };
  if (o.reportOnly) {
    const results = readResults(join(o.out, 'results.json'));
    say(`wrote ${await writeReport(results, o.out)}`);
    return;
  }
  const backend = parseBackendName(o.backend);
  const common = {
    backend,
    out: o.out,
    zlibLevel: parseInteger('--zlib-level', o.zlibLevel, { min: 0, max: 9 }),
    zlibSampleImages: parseInteger('--zlib-images', o.zlibImages, { min: 1 }),
    maps: parseInteger('--maps', o.maps, { min: 0, max: 64 }),
    mapLayers: parseInteger('--map-layers', o.mapLayers, { min: 0, max: 1024 }),
    mapChannels: parseInteger('--map-channels', o.mapChannels, { min: 1, max: 1024 }),
    threads: o.threads,
    log: say,
  };
  let results: StudyResults;
  let interrupted = false;
  if (o.tfjsModel !== undefined || o.images !== undefined) {
    if (o.tfjsModel === undefined || o.images === undefined) {
      throw new InvalidArgumentError('--tfjs-model and --images go together: pass both');
    }
    results = (
      await runTfjsStudy({
        ...common,
        modelPath: o.tfjsModel,
        imagesDir: o.images,
        batch: parseInteger('--batch', o.batch ?? '16', { min: 1, max: 65536 }),
        maxImages: parseInteger('--max-images', o.maxImages, { min: 1 }),
        inputRange: range(o.inputRange),
      })
    ).results;
  } else {
    if (o.steps !== undefined && o.epochs !== undefined)
      throw new InvalidArgumentError('give --steps or --epochs, not both');
    const controller = new AbortController();
    let hits = 0;
    const onSigint = () => {
      hits++;
      if (hits > 1) process.exit(130);
      say(
        '\ninterrupted: saving at the next step so that the same command resumes (Ctrl-C again to quit at once)',
      );
      controller.abort();
    };
    process.on('SIGINT', onSigint);
    try {
      const outcome = await runStudy({
        ...common,
        models: o.models
          .split(',')
          .map((m) => m.trim())
          .filter((m) => m !== ''),
        dataset: o.dataset,
        steps:
          o.epochs === undefined
            ? parseInteger('--steps', o.steps ?? '300', { min: 1 })
            : undefined,
        epochs: o.epochs === undefined ? undefined : parseInteger('--epochs', o.epochs, { min: 1 }),
        every: parseInteger('--every', o.every, { min: 1 }),
        batch: parseInteger('--batch', o.batch ?? '64', { min: 1, max: 65536 }),
        lr: parseNumber('--lr', o.lr, { min: 0, aboveMin: true }),
        lrSchedule: parseLrSchedule(o.lrSchedule),
        warmup: parseInteger('--warmup', o.warmup, { min: 0 }),
        momentum: parseNumber('--momentum', o.momentum, { min: 0 }),
        weightDecay: parseNumber('--weight-decay', o.weightDecay, { min: 0 }),
        seed: parseInteger('--seed', o.seed, { min: 0, max: 2 ** 32 - 1 }),
        limit: o.limit === undefined ? undefined : parseInteger('--limit', o.limit, { min: 1 }),
        fresh: o.fresh ?? false,
        signal: controller.signal,
        progress: (model, total) =>
          createProgress({ total, label: model, unit: 'step', quiet: o.quiet }),
      });
      results = outcome.results;
      interrupted = outcome.interrupted;
    } finally {
      process.off('SIGINT', onSigint);
    }
  }
  const report = await writeReport(results, o.out);
  for (const line of summaryLines(results)) process.stdout.write(`${line}\n`);
  say(`wrote ${join(o.out, 'results.json')} and ${report}`);
  if (interrupted) say(`interrupted; run the same command again to resume from ${o.out}`);
}

export function registerStudy(program: Command): void {
  program
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
          'Interrupt with Ctrl-C and run the same command again to resume from DIR.',
        'Inference mode: --tfjs-model path/model.json --images DIR measures the activations of a ' +
          'pretrained TensorFlow.js Layers model on a folder of images, with the same per-layer table.',
        'Writes DIR/results.json (schema: docs/STUDY.md) and DIR/report.html (opens offline).',
      ].join('\n\n'),
    )
    .requiredOption('--out <dir>', 'folder for results.json, report.html, maps/ and checkpoints/')
    .option(
      '--models <list>',
      'comma-separated networks, each run as its -small variant',
      PAPER_MODELS,
    )
    .option('--dataset <spec>', `training data: ${DATASET_SPEC_HELP}`, 'mnist')
    .option('--steps <n>', 'training steps per network (default 300)')
    .option('--epochs <n>', 'passes over the training split per network, instead of --steps')
    .option(
      '--every <k>',
      'record every k steps (and at the last step); recording costs under 5% of step time at 50 (docs/STUDY.md)',
      '50',
    )
    .option('--batch <n>', 'images per step (training: default 64; inference: default 16)')
    .option('--lr <x>', 'base learning rate of SGD', DEFAULT_LR)
    .option(
      '--lr-schedule <name>',
      'learning rate over each run: linear (decays to zero at the last step), cosine, or constant',
      'linear',
    )
    .option(
      '--warmup <n>',
      'steps of linear learning-rate warm-up before the schedule (without it nin-small at 0.01 loses its last ReLU early and never learns)',
      '50',
    )
    .option('--momentum <m>', 'SGD momentum', '0.9')
    .option('--weight-decay <w>', 'L2 weight decay on weights', '0.0005')
    .option('--seed <s>', 'seed of initialisation, data order and dropout', '1')
    .option('--backend <name>', 'TensorFlow.js backend: wasm (fast) or cpu (reference)', 'wasm')
    .option('--limit <n>', 'use at most n training images')
    .option('--fresh', 'discard what --out holds instead of resuming it')
    .option('--tfjs-model <path>', 'inference mode: a TensorFlow.js Layers model.json')
    .option('--images <dir>', 'inference mode: folder of PNG/JPEG images')
    .option('--max-images <n>', 'inference mode: use at most n images (by file name)', '256')
    .option(
      '--input-range <lo,hi>',
      'inference mode: pixel values 0..255 map linearly onto [lo, hi]',
      '0,1',
    )
    .option('--zlib-level <l>', 'DEFLATE level of the zlib measurements (0-9)', '6')
    .option(
      '--zlib-images <n>',
      'zlib compresses the first n images of each recorded batch (it is the slow one)',
      '4',
    )
    .option(
      '--maps <n>',
      'recorded steps (batches) that get activation-map images, per network',
      '4',
    )
    .option('--map-layers <n>', 'tensors per network that get activation maps', '16')
    .option('--map-channels <n>', 'channels drawn per activation map', '16')
    .addOption(
      new Option('--no-threads', 'measure on the training thread instead of a worker thread'),
    )
    .option('--report-only', 'only rebuild DIR/report.html from DIR/results.json')
    .option('--quiet', 'no progress output')
    .action(async (o: StudyCliOptions) => run(o));
}
