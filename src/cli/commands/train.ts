/**
 * `cdma train`: train a zoo network on a dataset with the layer-wise
 * executor, showing progress on stderr and printing a summary (final loss,
 * test accuracy, images/s, peak device bytes, SHA-256 of the weights).
 */
import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { InputFileError, InvalidArgumentError } from '../../errors.js';
import { formatBytes } from '../../io/sizes.js';
import { parseInteger, parseNumber } from '../../io/numbers.js';
import type { FitMode, Shape3 } from '../../data/fit.js';
import { prepareDataset } from '../../data/prepare.js';
import { DATASET_SPEC_HELP, loadRawDataset, parseDatasetSpec } from '../../data/source.js';
import { initBackend, parseBackendName } from '../../nn/backend.js';
import { createMemoryStore, type MemoryCliOptions } from '../../memory/options.js';
import { formatMemorySummary } from '../../memory/summary.js';
import { getModel, listModels } from '../../nn/zoo/index.js';
import { chooseInputShape } from '../../train/input-shape.js';
import { parseLrSchedule } from '../../train/lr-schedule.js';
import { formatSummary, percent, plural } from '../../train/summary-text.js';
import { train, type StepRecord } from '../../train/trainer.js';
import { addMemoryOptions } from '../memory-options.js';
import { createProgress } from '../progress.js';
import { DEFAULT_LR } from '../defaults.js';

interface TrainCliOptions extends MemoryCliOptions {
  model: string;
  dataset: string;
  batch: string;
  steps?: string;
  epochs?: string;
  lr: string;
  lrSchedule: string;
  warmup: string;
  momentum: string;
  weightDecay: string;
  seed: string;
  backend: string;
  limit?: string;
  testLimit?: string;
  input?: string;
  fit: FitMode;
  evalEachEpoch?: boolean;
  evalBatch?: string;
  json?: string;
  quiet?: boolean;
}

function shape(text: string): Shape3 {
  const parts = text.split(/[x,]/);
  if (parts.length !== 3)
    throw new InvalidArgumentError(`--input must be CxHxW, e.g. 3x32x32, got '${text}'`);
  const [c, h, w] = parts.map((p) => parseInteger('--input dimensions', p, { min: 1, max: 65536 }));
  if (c !== 1 && c !== 3) throw new InvalidArgumentError(`--input needs 1 or 3 channels, got ${c}`);
  return [c, h, w];
}

/** Mean of the last n values of f over the records. */
function recent(records: readonly StepRecord[], n: number, f: (r: StepRecord) => number): number {
  const tail = records.slice(-n);
  return tail.reduce((s, r) => s + f(r), 0) / tail.length;
}

async function run(o: TrainCliOptions): Promise<void> {
  const batch = parseInteger('--batch', o.batch, { min: 1, max: 65536 });
  if (o.steps !== undefined && o.epochs !== undefined) {
    throw new InvalidArgumentError('give --steps or --epochs, not both');
  }
  const steps = o.steps === undefined ? undefined : parseInteger('--steps', o.steps, { min: 1 });
  const epochs =
    o.steps === undefined ? parseInteger('--epochs', o.epochs ?? '1', { min: 1 }) : undefined;
  const lr = parseNumber('--lr', o.lr, { min: 0, aboveMin: true });
  const lrSchedule = parseLrSchedule(o.lrSchedule);
  const warmupSteps = parseInteger('--warmup', o.warmup, { min: 0 });
  const momentum = parseNumber('--momentum', o.momentum, { min: 0 });
  const weightDecay = parseNumber('--weight-decay', o.weightDecay, { min: 0 });
  const seed = parseInteger('--seed', o.seed, { min: 0, max: 2 ** 32 - 1 });
  const backend = parseBackendName(o.backend);
  const limit = o.limit === undefined ? undefined : parseInteger('--limit', o.limit, { min: 1 });
  const testLimit =
    o.testLimit === undefined ? undefined : parseInteger('--test-limit', o.testLimit, { min: 1 });
  const evalBatch =
    o.evalBatch === undefined
      ? undefined
      : parseInteger('--eval-batch', o.evalBatch, { min: 1, max: 65536 });
  const requested = o.input === undefined ? undefined : shape(o.input);
  const source = parseDatasetSpec(o.dataset);
  if (!listModels().some((m) => m.name === o.model)) getModel(o.model); // throws the zoo's error listing the models

  const say = (line: string) => {
    if (!o.quiet) process.stderr.write(`${line}\n`);
  };
  const t0 = performance.now();
  const raw = loadRawDataset(source, { limit, testLimit, target: requested, fit: o.fit });
  const choice = chooseInputShape(o.model, raw.shape, raw.numClasses, requested);
  if (choice.source === 'model') {
    say(
      `${o.model} cannot take ${raw.shape.join('x')} images; fitting them to its input ${choice.shape.join('x')}`,
    );
  }
  const dataset = prepareDataset(raw, { shape: choice.shape, fit: o.fit });
  const perEpoch = Math.floor(dataset.train.count / batch);
  const total = steps ?? perEpoch * (epochs ?? 1);
  say(
    `loaded ${dataset.name}: ${dataset.train.count} training / ${dataset.test.count} test images of ${dataset.shape.join('x')} ` +
      `in ${((performance.now() - t0) / 1000).toFixed(1)} s; training ${o.model} for ${plural(total, 'step')} of batch ${batch} on ${backend}`,
  );

  // The memory manager (vDNN/cDMA) when a memory option asks for one; see docs/MEMORY.md.
  if (o.link?.trim().toLowerCase() === 'paper-scaled') await initBackend(backend);
  const memory = await createMemoryStore(o, {
    spec: getModel(o.model, { inputShape: dataset.shape, numClasses: dataset.numClasses }),
    batch,
  });
  const progress = createProgress({ total, label: 'train', unit: 'step', quiet: o.quiet });
  const records: StepRecord[] = [];
  let summary;
  try {
    summary = await train({
      model: o.model,
      dataset,
      batch,
      steps,
      epochs,
      lr,
      lrSchedule,
      warmupSteps,
      momentum,
      weightDecay,
      seed,
      backend,
      // Under a memory budget, evaluate at the training batch (a larger forward pass could exceed it).
      evalBatch: evalBatch ?? (memory?.config.budgetBytes !== undefined ? batch : undefined),
      evalEachEpoch: o.evalEachEpoch,
      store: memory,
      deviceLimitBytes: memory?.config.budgetBytes,
      onStep: (r) => {
        records.push(r);
        const ms = recent(records, 20, (x) => x.ms);
        progress.update(
          r.step,
          `loss ${recent(records, 20, (x) => x.loss).toFixed(4)} | acc ${percent(
            recent(records, 20, (x) => x.accuracy),
            1,
          )}` +
            ` | ${((1000 * batch) / ms).toFixed(0)} img/s | dev ${formatBytes(r.deviceBytes)} (peak ${formatBytes(r.peakDeviceBytes)})`,
        );
      },
      onEpoch: (e) => {
        const test =
          e.testAccuracy === undefined ? '' : `, test accuracy ${percent(e.testAccuracy)}`;
        progress.log(
          `epoch ${e.epoch}: loss ${e.trainLoss.toFixed(4)}, training accuracy ${percent(e.trainAccuracy, 1)}${test}`,
        );
      },
    });
  } finally {
    progress.stop();
    await memory?.close();
  }
  process.stdout.write(formatSummary(summary));
  if (memory) process.stdout.write(formatMemorySummary(memory));
  if (o.json !== undefined) {
    try {
      writeFileSync(o.json, JSON.stringify(summary, null, 2) + '\n');
    } catch (e) {
      throw new InputFileError(
        `cannot write --json ${o.json} (${(e as Error).message}); pass a writable path`,
      );
    }
  }
}

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .summary('train a zoo network on a dataset, optionally under a memory budget with offloading')
    .description(
      'Train a zoo network on a dataset with SGD; shows progress on stderr and prints a summary:\n' +
        'final training loss, test accuracy, images/s, peak device bytes and the SHA-256 of the weights.',
    )
    .requiredOption('--model <name>', 'zoo network, e.g. alexnet-small (see `cdma models`)')
    .option('--dataset <spec>', `dataset: ${DATASET_SPEC_HELP}`, 'mnist')
    .option('--batch <n>', 'images per training step', '32')
    .option('--steps <n>', 'train for this many steps (instead of --epochs)')
    .option('--epochs <n>', 'train for this many passes over the training split (default 1)')
    .option('--lr <x>', 'base learning rate of SGD', DEFAULT_LR)
    .option(
      '--lr-schedule <name>',
      'learning rate over the run: linear (decays to zero at the last step), cosine, or constant',
      'linear',
    )
    .option('--warmup <n>', 'steps of linear learning-rate warm-up before the schedule', '0')
    .option('--momentum <m>', 'SGD momentum', '0.9')
    .option('--weight-decay <w>', 'L2 weight decay on weights (not biases)', '0.0005')
    .option(
      '--seed <s>',
      'seed of initialisation, shuffling and dropout (same seed, same weights)',
      '1',
    )
    .option('--backend <name>', 'TensorFlow.js backend: wasm (fast) or cpu (reference)', 'wasm')
    .option('--limit <n>', 'use at most n training images (spread evenly over the split)')
    .option('--test-limit <n>', 'use at most n test images')
    .option(
      '--input <CxHxW>',
      "train at this input shape, fitting the images to it (default: the dataset's shape if the network takes it, else the network's)",
    )
    .addOption(
      new Option(
        '--fit <mode>',
        'how images are fitted to another input size: pad, resize (bilinear) or auto',
      )
        .choices(['auto', 'resize', 'pad'])
        .default('auto'),
    )
    .option('--eval-each-epoch', 'also measure test accuracy after every epoch')
    .option('--eval-batch <n>', 'images per evaluation pass (default: max(batch, 100))')
    .option('--json <file>', 'also write the summary, with per-step records, as JSON to this file')
    .option('--quiet', 'no progress output; only the summary');
  addMemoryOptions(cmd).action(run);
}
