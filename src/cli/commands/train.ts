/**
 * `cdma train`: train a zoo network, or fine-tune an imported TensorFlow.js
 * Layers model (--tfjs-model), on a dataset with the layer-wise executor,
 * showing progress on stderr and printing a summary (final loss, test
 * accuracy, images/s, peak device bytes, SHA-256 of the weights); --save
 * writes an imported model back with its trained weights.
 */
import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { Command, Option } from 'commander';
import { CdmaError, InvalidArgumentError, OutputFileError } from '../../errors.js';
import { formatBytes } from '../../io/sizes.js';
import { parseInteger, parseNumber } from '../../io/numbers.js';
import { checkOutput, writeOutput } from '../../io/write.js';
import type { FitMode, Shape3 } from '../../data/fit.js';
import { prepareDataset } from '../../data/prepare.js';
import {
  DATASET_SPEC_HELP,
  loadRawDataset,
  parseDatasetSpec,
  type DatasetSource,
} from '../../data/source.js';
import { initBackend, parseBackendName, type BackendName } from '../../nn/backend.js';
import {
  createMemoryStore,
  parseMemoryOptions,
  type MemoryCliOptions,
} from '../../memory/options.js';
import type { MemoryManager } from '../../memory/manager.js';
import { formatMemorySummary } from '../../memory/summary.js';
import { getModel, listModels } from '../../nn/zoo/index.js';
import { chooseInputShape } from '../../train/input-shape.js';
import { parseLrSchedule, type LrScheduleName } from '../../train/lr-schedule.js';
import { formatSummary, percent, plural } from '../../train/summary-text.js';
import { train, type StepRecord, type TrainSummary } from '../../train/trainer.js';
import { addMemoryOptions, checkOffloadOptions } from '../memory-options.js';
import { memoryJson } from '../memory-json.js';
import { checkPolicyName, checkTrainLink } from '../names.js';
import { POLICY_NAMES } from '../../plan/index.js';
import { createProgress } from '../progress.js';
import { addJsonOptions, checkJsonOptions, jsonText } from '../json-output.js';
import { addOptimizerOptions, parseOptimizerOptions } from '../training-options.js';
import { checkWarmup, refuseGiven } from './option-rules.js';
import {
  addPreprocessingOptions,
  addTfjsModelOptions,
  parsePreprocessing,
  parseModelSource,
  type TfjsCliOptions,
  type TfjsSettings,
} from '../tfjs-options.js';
import { describePreprocessing, type Preprocessing } from '../../data/preprocess.js';
import type { OptimizerName } from '../../train/optimizer.js';
import { loadImportedModel } from '../../tfjs/load.js';
import { saveImportedModel } from '../../tfjs/export.js';
import type { ImportedModel } from '../../tfjs/import.js';
import type { ModelSpec } from '../../nn/spec.js';
import {
  DEFAULTS,
  MAX_BATCH,
  MAX_EPOCHS,
  MAX_STEPS,
  TRAINING_HELP,
  TRAINING_RANGES as R,
} from '../defaults.js';

interface TrainCliOptions extends MemoryCliOptions, TfjsCliOptions {
  model?: string;
  optimizer: string;
  save?: string;
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
  json?: boolean;
  jsonOut?: string;
  quiet?: boolean;
}

/** The options as numbers and names, every one checked. */
interface TrainSettings {
  readonly batch: number;
  readonly steps?: number;
  readonly epochs?: number;
  readonly lr: number;
  readonly lrSchedule: LrScheduleName;
  readonly warmupSteps: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly seed: number;
  readonly backend: BackendName;
  readonly limit?: number;
  readonly testLimit?: number;
  readonly evalBatch?: number;
  readonly requested?: Shape3;
  readonly source: DatasetSource;
  readonly optimizer: OptimizerName;
  readonly tfjs?: TfjsSettings;
  readonly preprocessing: Preprocessing;
}

function shape(text: string): Shape3 {
  const parts = text.split(/[x,]/);
  if (parts.length !== 3)
    throw new InvalidArgumentError(`--input must be CxHxW, e.g. 3x32x32, got '${text}'`);
  const [c, h, w] = parts.map((p) => parseInteger('--input dimensions', p, { min: 1, max: 65536 }));
  if (c !== 1 && c !== 3) throw new InvalidArgumentError(`--input needs 1 or 3 channels, got ${c}`);
  return [c, h, w];
}

const optional = <T>(text: string | undefined, parse: (t: string) => T): T | undefined =>
  text === undefined ? undefined : parse(text);

/** The rules that need the run's length, known once the data is loaded. */
function checkRunLength(o: TrainCliOptions, warmup: number, total: number, perEpoch: number): void {
  checkWarmup(warmup, total);
  if (o.evalEachEpoch && total <= perEpoch) {
    throw new InvalidArgumentError(
      `--eval-each-epoch has no effect: the run (${plural(total, 'step')}) ends within its first epoch ` +
        `(${plural(perEpoch, 'step')}) and test accuracy is measured at the end anyway; drop it or train longer`,
    );
  }
}

/** Parses and checks every option, and the rules between them, before anything is loaded. */
function parseOptions(o: TrainCliOptions, cmd: Command): TrainSettings {
  if (o.steps !== undefined && o.epochs !== undefined) {
    throw new InvalidArgumentError('give --steps or --epochs, not both');
  }
  const tfjs = parseModelSource(o, cmd);
  if (tfjs === undefined) {
    refuseGiven(
      cmd,
      ['save'],
      'writes an imported model with its trained weights; add --tfjs-model PATH',
    );
  }
  const { optimizer, lr } = parseOptimizerOptions(o, cmd);
  checkOffloadOptions(cmd, checkPolicyName(o.policy ?? 'none', POLICY_NAMES));
  if (o.link !== undefined) checkTrainLink(o.link);
  // The memory options' own syntax (a dummy compute rate: nothing is measured yet).
  parseMemoryOptions(o, 1);
  const steps = optional(o.steps, (t) => parseInteger('--steps', t, R.steps));
  const warmupSteps = parseInteger('--warmup', o.warmup, R.warmup);
  if (steps !== undefined) checkWarmup(warmupSteps, steps);
  const settings: TrainSettings = {
    batch: parseInteger('--batch', o.batch, R.batch),
    steps,
    epochs: steps === undefined ? parseInteger('--epochs', o.epochs ?? '1', R.epochs) : undefined,
    lr,
    lrSchedule: parseLrSchedule(o.lrSchedule),
    warmupSteps,
    momentum: parseNumber('--momentum', o.momentum, R.momentum),
    weightDecay: parseNumber('--weight-decay', o.weightDecay, R.weightDecay),
    seed: parseInteger('--seed', o.seed, R.seed),
    backend: parseBackendName(o.backend),
    limit: optional(o.limit, (t) => parseInteger('--limit', t, R.images)),
    testLimit: optional(o.testLimit, (t) => parseInteger('--test-limit', t, R.images)),
    evalBatch: optional(o.evalBatch, (t) => parseInteger('--eval-batch', t, R.batch)),
    requested: optional(o.input, shape),
    source: parseDatasetSpec(o.dataset),
    optimizer,
    tfjs,
    preprocessing: parsePreprocessing(o, tfjs !== undefined),
  };
  if (settings.limit !== undefined && settings.limit < settings.batch) {
    throw new InvalidArgumentError(
      `--limit ${settings.limit} is less than --batch ${settings.batch}: a step needs a full batch of training images`,
    );
  }
  if (o.model !== undefined && !listModels().some((m) => m.name === o.model)) getModel(o.model); // throws the zoo's error listing the models
  return settings;
}

/** Refuses an output inside the dataset's folder: it could replace the data being read. */
function refuseInside(path: string, what: string, source: DatasetSource): void {
  if (source.dir === undefined) return;
  let dir: string;
  let target: string;
  try {
    dir = realpathSync(source.dir);
    target = join(realpathSync(dirname(resolve(path))), basename(path));
  } catch {
    return; // a missing folder: checkOutput or the loader names it
  }
  if (target.startsWith(dir + sep)) {
    throw new OutputFileError(
      `${what} ${path} is inside the dataset folder ${source.dir}; write it somewhere else`,
    );
  }
}

/** Checks --save: a folder (or nothing yet), not the imported model's own folder or the dataset's. */
function checkSaveDir(dir: string, model: string, source: DatasetSource): void {
  let st;
  try {
    st = statSync(dir);
  } catch {
    st = undefined;
  }
  if (st !== undefined && !st.isDirectory()) {
    throw new OutputFileError(`--save folder ${dir} exists and is not a folder`);
  }
  if (resolve(dir) === resolve(dirname(model))) {
    throw new OutputFileError(
      `--save folder ${dir} holds the model being trained (${model}); save to another folder`,
    );
  }
  refuseInside(join(dir, 'model.json'), '--save folder', source);
}

/** Checks --json-out and --trace before any work: a bad path fails now, not after training. */
function checkOutputs(o: TrainCliOptions, source: DatasetSource): void {
  if (o.save !== undefined && o.tfjsModel !== undefined) checkSaveDir(o.save, o.tfjsModel, source);
  const outputs: [string | undefined, string][] = [
    [o.jsonOut, 'JSON summary'],
    [o.trace, 'trace'],
  ];
  for (const [path, what] of outputs) {
    if (path === undefined) continue;
    checkOutput(path, { what });
    refuseInside(path, what, source);
  }
  if (o.jsonOut !== undefined && o.trace !== undefined && resolve(o.jsonOut) === resolve(o.trace)) {
    throw new InvalidArgumentError(
      `--json-out and --trace both name ${o.jsonOut}; give each its own file`,
    );
  }
}

/** Mean of the last n values of f over the records. */
function recent(records: readonly StepRecord[], n: number, f: (r: StepRecord) => number): number {
  const tail = records.slice(-n);
  return tail.reduce((s, r) => s + f(r), 0) / tail.length;
}

/** Closes the memory manager; after a failure, the failure (not a closing error) is what is reported. */
async function closeStore(memory: MemoryManager | undefined, failure: unknown): Promise<void> {
  if (memory === undefined) return;
  if (failure === undefined) return memory.close();
  try {
    await memory.close(failure);
  } catch {
    // the run's own error is the one to report
  }
}

function errorJson(e: unknown): { code: string; message: string } {
  if (e instanceof CdmaError) return { code: e.code, message: e.message };
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

/** Prints (--json) and writes (--json-out) the JSON summary of a failed run; the run's error stays the one reported. */
function failedJson(e: unknown, o: TrainCliOptions, records: StepRecord[]): void {
  const text = jsonText({
    status: 'failed',
    error: errorJson(e),
    model: o.model ?? o.tfjsModel,
    dataset: o.dataset,
    stepsDone: records.length,
    records,
  });
  if (o.json) process.stdout.write(text);
  if (o.jsonOut === undefined) return;
  try {
    writeOutput(o.jsonOut, text, { what: 'JSON summary' });
  } catch {
    // the run's own error is the one to report
  }
}

interface TrainOutcome {
  readonly summary: TrainSummary;
  readonly memory?: MemoryManager;
  /** The model.json --save wrote. */
  readonly saved?: string;
}

async function trainWithProgress(
  o: TrainCliOptions,
  s: TrainSettings,
  records: StepRecord[],
): Promise<TrainOutcome> {
  const say = (line: string) => {
    if (!o.quiet) process.stderr.write(`${line}\n`);
  };
  const { batch, steps, epochs } = s;
  const t0 = performance.now();
  let imported: ImportedModel | undefined;
  if (s.tfjs !== undefined) {
    await initBackend(s.backend);
    imported = await loadImportedModel(s.tfjs.path, {
      freezeTo: s.tfjs.freezeTo,
      classes: s.tfjs.classes,
    });
    const frozen = imported.spec.layers.filter((l) => l.frozen).length;
    say(
      `imported ${s.tfjs.path}: ${imported.spec.layers.length} layers, input ${imported.inputShape.join('x')}, ` +
        `${imported.spec.numClasses} classes${imported.head?.replaced ? ' (new head)' : ''}, ${frozen} layers frozen`,
    );
    const c = imported.inputShape[0];
    if (c !== 1 && c !== 3) {
      throw new InvalidArgumentError(
        `${s.tfjs.path}: the model takes ${c}-channel images; cdma's datasets give 1 (grey) or 3 (RGB)`,
      );
    }
  }
  const target = imported?.inputShape ?? s.requested;
  const raw = loadRawDataset(s.source, {
    limit: s.limit,
    testLimit: s.testLimit,
    target,
    fit: o.fit,
  });
  let spec: ModelSpec | string;
  let inputShape: Shape3;
  if (imported !== undefined) {
    spec = imported.spec;
    inputShape = imported.inputShape;
    if (raw.numClasses > imported.spec.numClasses) {
      throw new InvalidArgumentError(
        `${s.tfjs?.path}: the model has ${imported.spec.numClasses} classes and the dataset ${raw.numClasses}; ` +
          `pass --classes ${raw.numClasses} to replace its head`,
      );
    }
  } else {
    const name = o.model as string;
    const choice = chooseInputShape(name, raw.shape, raw.numClasses, s.requested);
    if (choice.source === 'model') {
      say(
        `${name} cannot take ${raw.shape.join('x')} images; fitting them to its input ${choice.shape.join('x')}`,
      );
    }
    spec = name;
    inputShape = choice.shape;
  }
  if (raw.shape.join() !== inputShape.join())
    say(`preprocessing: ${describePreprocessing(s.preprocessing)}`);
  const dataset = prepareDataset(raw, {
    shape: inputShape,
    fit: o.fit,
    preprocessing: s.preprocessing,
  });
  const modelName = imported?.spec.name ?? (o.model as string);
  // Fewer images than a batch: train() names that problem.
  const perEpoch = Math.floor(dataset.train.count / batch);
  const total = steps ?? perEpoch * (epochs ?? 1);
  if (perEpoch > 0) checkRunLength(o, s.warmupSteps, total, perEpoch);
  say(
    `loaded ${dataset.name}: ${dataset.train.count} training / ${dataset.test.count} test images of ${dataset.shape.join('x')} ` +
      `in ${((performance.now() - t0) / 1000).toFixed(1)} s; training ${modelName} for ${plural(total, 'step')} of batch ${batch} on ${s.backend}`,
  );

  // The memory manager (vDNN/cDMA) when a memory option asks for one; see docs/MEMORY.md.
  if (o.link?.trim().toLowerCase() === 'paper-scaled') await initBackend(s.backend);
  const memory = await createMemoryStore(o, {
    spec:
      typeof spec === 'string'
        ? getModel(spec, { inputShape: dataset.shape, numClasses: dataset.numClasses })
        : spec,
    batch,
  });
  let saved: string | undefined;
  const progress = createProgress({ total, label: 'train', unit: 'step', quiet: o.quiet });
  let failure: unknown;
  try {
    const summary = await train({
      model: spec,
      initialValues: imported?.initialValues,
      optimizer: s.optimizer,
      onTrained:
        imported !== undefined && o.save !== undefined && s.tfjs !== undefined
          ? async (exec) => {
              saved = await saveImportedModel(
                (s.tfjs as TfjsSettings).path,
                imported as ImportedModel,
                exec,
                o.save as string,
              );
            }
          : undefined,
      dataset,
      batch,
      steps,
      epochs,
      lr: s.lr,
      lrSchedule: s.lrSchedule,
      warmupSteps: s.warmupSteps,
      momentum: s.momentum,
      weightDecay: s.weightDecay,
      seed: s.seed,
      backend: s.backend,
      // Under a memory budget, evaluate at the training batch (a larger forward pass could exceed it).
      evalBatch: s.evalBatch ?? (memory?.config.budgetBytes !== undefined ? batch : undefined),
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
    return { summary, memory, saved };
  } catch (e) {
    failure = e;
    throw e;
  } finally {
    progress.stop();
    await closeStore(memory, failure);
  }
}

async function run(o: TrainCliOptions, cmd: Command): Promise<void> {
  checkJsonOptions(cmd);
  const settings = parseOptions(o, cmd);
  checkOutputs(o, settings.source);
  const records: StepRecord[] = [];
  let outcome: TrainOutcome;
  try {
    outcome = await trainWithProgress(o, settings, records);
  } catch (e) {
    if (o.json || o.jsonOut !== undefined) failedJson(e, o, records);
    throw e;
  }
  const { summary, memory, saved } = outcome;
  if (o.json || o.jsonOut !== undefined) {
    const text = jsonText({
      status: 'ok',
      ...summary,
      memory: memoryJson(memory),
      preprocessing: describePreprocessing(settings.preprocessing),
      ...(o.tfjsModel !== undefined ? { tfjsModel: o.tfjsModel } : {}),
      ...(saved !== undefined ? { saved } : {}),
    });
    if (o.jsonOut !== undefined) writeOutput(o.jsonOut, text, { what: 'JSON summary' });
    if (o.json) {
      process.stdout.write(text);
      return;
    }
  }
  process.stdout.write(formatSummary(summary));
  if (saved !== undefined) process.stdout.write(`saved model     ${saved}\n`);
  if (memory) process.stdout.write(formatMemorySummary(memory));
}

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .summary(
      'train a zoo network or an imported TensorFlow.js model, optionally under a memory budget',
    )
    .description(
      'Train a zoo network (--model) or fine-tune a TensorFlow.js Layers model (--tfjs-model) on a dataset ' +
        'with SGD or Adam; shows progress on stderr and prints a summary: final training loss, test accuracy, ' +
        'images/s, peak device bytes and the SHA-256 of the weights.',
    )
    .option('--model <name>', 'zoo network, e.g. alexnet-small (see `cdma models`)')
    .option('--dataset <spec>', `dataset: ${DATASET_SPEC_HELP}`, DEFAULTS.dataset)
    .option('--batch <n>', `images per training step, 1 to ${MAX_BATCH}`, DEFAULTS.batch)
    .option('--steps <n>', `train for this many steps, 1 to ${MAX_STEPS} (instead of --epochs)`)
    .option(
      '--epochs <n>',
      `train for this many passes over the training split, 1 to ${MAX_EPOCHS} (default 1)`,
    )
    .option(
      '--seed <s>',
      `seed of initialisation, shuffling and dropout (same seed, same weights), ${TRAINING_HELP.seed}`,
      DEFAULTS.seed,
    )
    .option('--backend <name>', TRAINING_HELP.backend, DEFAULTS.backend)
    .option(
      '--limit <n>',
      'use at most n training images, at least --batch (spread evenly over the split)',
    )
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
    .option(
      '--eval-each-epoch',
      'also measure test accuracy after every epoch but the last (the run must be longer than one epoch)',
    )
    .option(
      '--eval-batch <n>',
      `images per evaluation pass, 1 to ${MAX_BATCH} (default: max(batch, 100))`,
    )
    .option('--quiet', 'no progress output; only the summary')
    .option(
      '--save <dir>',
      'with --tfjs-model: write the trained model to dir (model.json and weights) for tf.loadLayersModel',
    );
  addOptimizerOptions(cmd, 'the run length');
  addTfjsModelOptions(cmd);
  addPreprocessingOptions(cmd);
  addMemoryOptions(cmd);
  addJsonOptions(
    cmd,
    'the summary, with per-step records and the memory summary (offloaded and link bytes, ratio, stall time),',
    'its "status" is "ok", or "failed" with the error and the records so far',
  ).action(run);
}
