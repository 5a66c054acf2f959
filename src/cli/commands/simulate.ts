/** `cdma simulate`: the performance model of vDNN and a cDMA engine (docs/SIMULATOR.md). */
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { InputFileError, InvalidArgumentError } from '../../errors.js';
import { parseInteger, parseNumber } from '../../io/numbers.js';
import { BYTE_SIZE_HELP, formatBytes, parseByteSize } from '../../io/sizes.js';
import { jsonHelp } from '../json-output.js';
import { checkPolicyName, checkSimLink } from '../names.js';
import { checkOutput, prepareOutputDir, writeOutput } from '../../io/write.js';
import { analyzeModel, type ModelAnalysis } from '../../nn/shapes.js';
import { getModel } from '../../nn/zoo/index.js';
import type { Placement } from '../../sim/engine.js';
import { getGpu, listGpus } from '../../sim/gpus.js';
import { getLink, listLinks } from '../../sim/links.js';
import { dynJson, dynText, layerTable, resultJson, summaryText } from '../../sim/output.js';
import {
  ALGO_CHOICES,
  CONV_LIBRARIES,
  getConvLibrary,
  type AlgoChoice,
} from '../../sim/conv-algos.js';
import { simulateDyn } from '../../sim/dyn.js';
import { buildPaperPage } from '../../sim/paper-report.js';
import { loadProfile, type Profile } from '../../sim/profile.js';
import { loadRatioTable, loadStudy, SIM_LAYOUTS, type SimLayout } from '../../sim/ratio-files.js';
import type { RatioSource } from '../../sim/ratio-source.js';
import type { BuiltinCodecId, DType } from '../../codec/codec.js';
import { SIM_CODECS, SIM_DTYPES } from '../../sim/ratios.js';
import { POLICIES, type Policy } from '../../sim/schedule.js';
import { simulate } from '../../sim/simulate.js';
import { sweepHtml } from '../../sim/sweep-report.js';
import { runSweep, sweepCsv, sweepMarkdown } from '../../sim/sweep.js';
import { given, refuseGiven } from './option-rules.js';

/** A static policy, or vDNN_dyn (try configurations, keep the fastest that fits). */
type SimPolicy = Policy | 'dyn';

interface Flags {
  model?: string;
  tfjsModel?: string;
  batch: string;
  gpu: string;
  link?: string;
  policy: SimPolicy;
  algo: AlgoChoice;
  cudnn: string;
  codec: BuiltinCodecId;
  density?: string;
  study?: string;
  ratios?: string;
  layout: SimLayout;
  dtype: DType;
  profile?: string;
  placement: Placement;
  units?: string;
  unitGbs?: string;
  crossbarGbs?: string;
  optimizer: 'sgd' | 'momentum' | 'adam';
  workspace: string;
  workspaceMb?: string;
  layers: boolean;
  json?: boolean;
  sweep?: boolean;
  out?: string;
  gpus?: string;
  links?: string;
  codecs?: string;
  densities?: string;
  dtypes?: string;
  models?: string;
  paper?: string;
}

const DEFAULT_DENSITY = 0.35;
const SWEEP_GPUS = 'titanx,titanxp,v100,a100,h100-pcie,h100-sxm';
const SWEEP_LINKS = 'pcie3,pcie4,pcie5,nvlink2,nvlink-c2c';
const SWEEP_CODECS = 'zvc,rle';
const SWEEP_DENSITIES = '0.05,0.1,0.2,0.35,0.5,0.7,1';
const SWEEP_FILES = ['sweep.md', 'sweep.csv', 'sweep.html'] as const;

/** Highest bandwidth accepted (GB/s): a thousand times any real link or engine. */
const MAX_GBS = 1e6;
/** Largest convolution workspace accepted: 1 TiB. */
const MAX_WORKSPACE_BYTES = 2 ** 40;

/** Options of one simulation only, each with what a sweep uses instead. */
const SINGLE_ONLY: Readonly<Record<string, string>> = {
  gpu: 'use --gpus',
  link: 'use --links',
  codec: 'use --codecs',
  optimizer: 'a sweep compares iteration times, not memory per optimizer',
  workspace: 'a sweep compares iteration times, not memory per workspace',
  layers: 'a sweep prints no per-layer table',
};

/** Options of --sweep only. */
const SWEEP_ONLY = ['out', 'models', 'gpus', 'links', 'codecs', 'densities', 'dtypes'] as const;

/** Options that describe offloading: --policy none offloads nothing. */
const OFFLOAD_ONLY = [
  'codec',
  'codecs',
  'link',
  'links',
  'density',
  'densities',
  'study',
  'ratios',
  'layout',
  'placement',
  'units',
  'unitGbs',
  'crossbarGbs',
] as const;

/** Every option but --paper: the page runs the papers' own setup. */
const NOT_WITH_PAPER = [
  'model',
  'batch',
  'gpu',
  'link',
  'policy',
  'algo',
  'cudnn',
  'codec',
  'density',
  'study',
  'ratios',
  'layout',
  'dtype',
  'profile',
  'placement',
  'units',
  'unitGbs',
  'crossbarGbs',
  'optimizer',
  'workspace',
  'layers',
  'json',
  'sweep',
  ...SWEEP_ONLY,
] as const;

/** Refuses options that the chosen mode or policy ignores, and a missing --model. */
function checkOptions(f: Flags, cmd: Command): void {
  f.policy = parseSimPolicy(f.policy);
  if (f.workspaceMb !== undefined) {
    throw new InvalidArgumentError(
      `--workspace-mb is now --workspace, a byte size like every option that takes bytes: --workspace ${f.workspaceMb}MiB`,
    );
  }
  if (f.link !== undefined) checkSimLink(f.link);
  if (f.links !== undefined) {
    for (const l of f.links.split(',').filter((x) => x.trim() !== '')) checkSimLink(l, '--links');
  }
  if (f.paper !== undefined) {
    refuseGiven(
      cmd,
      NOT_WITH_PAPER,
      "has no effect with --paper (the page runs the papers' setup: docs/SIMULATOR.md)",
    );
    return;
  }
  if (f.sweep) {
    for (const [key, instead] of Object.entries(SINGLE_ONLY)) {
      refuseGiven(cmd, [key], `applies to a single simulation, not --sweep (${instead})`);
    }
    if (f.model !== undefined && f.models !== undefined) {
      throw new InvalidArgumentError(
        '--model and --models both name the networks to sweep; give one',
      );
    }
    if (f.density !== undefined && f.densities !== undefined) {
      throw new InvalidArgumentError(
        '--density and --densities both set the densities to sweep; give one',
      );
    }
    if (given(cmd, 'dtype') && f.dtypes !== undefined) {
      throw new InvalidArgumentError('--dtype and --dtypes both set the types to sweep; give one');
    }
  } else {
    refuseGiven(cmd, SWEEP_ONLY, 'applies to --sweep only');
    if (f.json)
      refuseGiven(cmd, ['layers'], 'has no effect with --json (the JSON always has the layers)');
  }
  if (f.tfjsModel !== undefined) {
    if (f.model !== undefined || f.models !== undefined)
      throw new InvalidArgumentError(
        '--tfjs-model names the network to simulate; drop --model / --models',
      );
    if (f.sweep) throw new InvalidArgumentError('--tfjs-model simulates one run; drop --sweep');
  }
  if (f.model === undefined && f.models === undefined && f.tfjsModel === undefined) {
    throw new InvalidArgumentError(
      f.sweep
        ? "required option '--model <name>' not specified (or --models for a sweep)"
        : "required option '--model <name>' not specified",
    );
  }
  if (f.policy === 'none') {
    refuseGiven(
      cmd,
      OFFLOAD_ONLY,
      'has no effect with --policy none (nothing is offloaded); use --policy all or conv',
    );
  }
  if (f.policy === 'dyn') {
    if (f.sweep)
      throw new InvalidArgumentError(
        '--policy dyn applies to a single simulation, not --sweep (use --policy all, conv or none)',
      );
    refuseGiven(
      cmd,
      ['algo'],
      'has no effect with --policy dyn (vDNN_dyn chooses the convolution algorithms itself)',
    );
  }
  const sources = [f.density, f.study, f.ratios].filter((x) => x !== undefined).length;
  if (sources > 1)
    throw new InvalidArgumentError('pass only one of --density, --study and --ratios');
}

/** The files this run reads: no output may replace one of them. */
function inputsOf(f: Flags): string[] {
  return [f.study, f.ratios, f.profile].filter((x): x is string => x !== undefined);
}

function list<T extends string>(text: string, what: string, parse: (s: string) => T): T[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new InvalidArgumentError(`${what} list is empty`);
  return items.map(parse);
}

function choice<T extends string>(options: readonly T[], what: string): (s: string) => T {
  return (s) => {
    if (!(options as readonly string[]).includes(s)) {
      throw new InvalidArgumentError(`unknown ${what} '${s}'; choose one of ${options.join(', ')}`);
    }
    return s as T;
  };
}

/**
 * A static policy or dyn, named as in cdma train and compare; 'oracle' (the
 * simulator's old name for none) is refused with the new name.
 */
export function parseSimPolicy(text: string): SimPolicy {
  return checkPolicyName(text, [...POLICIES, 'dyn']) as SimPolicy;
}

/** --workspace: a byte size, at most 1 TiB. */
function parseWorkspace(text: string): number {
  const bytes = parseByteSize(text, '--workspace');
  if (bytes > MAX_WORKSPACE_BYTES) {
    throw new InvalidArgumentError(
      `--workspace must be at most ${formatBytes(MAX_WORKSPACE_BYTES)}, got '${text}'`,
    );
  }
  return bytes;
}

/** '4' or '5' (or 'cudnn4', 'cudnn5'): the cuDNN generation whose algorithms the runs may use. */
function libraryOf(text: string) {
  const id = text.startsWith('cudnn') ? text : `cudnn${text}`;
  if (!CONV_LIBRARIES.some((l) => l.id === id)) {
    throw new InvalidArgumentError(
      `unknown cuDNN version '${text}'; choose one of ${CONV_LIBRARIES.map((l) => l.id.slice(5)).join(', ')}`,
    );
  }
  return getConvLibrary(id);
}

function ratioSource(f: Flags, model: ModelAnalysis): RatioSource {
  if (f.study) return { kind: 'study', measured: loadStudy(f.study, model.spec.name) };
  if (f.ratios) {
    const table = loadRatioTable(f.ratios);
    const layers = new Set(model.spec.layers.map((l) => l.name));
    for (const key of table.layers.keys()) {
      if (!layers.has(key.replace(/:mask$/, ''))) {
        throw new InputFileError(
          `ratio table ${f.ratios}: '${key}' is not a layer of ${model.spec.name}; is the table for another network? (\`cdma models ${model.spec.name} --json\` lists its layers)`,
        );
      }
    }
    return { kind: 'table', table };
  }
  return {
    kind: 'density',
    density: parseNumber('--density', f.density ?? String(DEFAULT_DENSITY), { min: 0, max: 1 }),
  };
}

function loadModel(name: string): ModelAnalysis {
  return analyzeModel(getModel(name));
}

function profileFor(f: Flags, model: ModelAnalysis): Profile | undefined {
  return f.profile
    ? loadProfile(f.profile, new Set(model.spec.layers.map((l) => l.name)))
    : undefined;
}

function engineOptions(f: Flags) {
  return {
    placement: f.placement,
    units:
      f.units === undefined ? undefined : parseInteger('--units', f.units, { min: 1, max: 4096 }),
    unitGBs:
      f.unitGbs === undefined
        ? undefined
        : parseNumber('--unit-gbs', f.unitGbs, { min: 1e-3, max: MAX_GBS }),
    crossbarGBs:
      f.crossbarGbs === undefined
        ? undefined
        : parseNumber('--crossbar-gbs', f.crossbarGbs, { min: 1e-3, max: MAX_GBS }),
  };
}

const SLOTS = { sgd: 0, momentum: 1, adam: 2 } as const;

/** An imported TensorFlow.js Layers model's analysis (tfjs is loaded only for this). */
async function loadTfjsAnalysis(path: string): Promise<ModelAnalysis> {
  const { loadImportedModel } = await import('../../tfjs/load.js');
  const { initBackend } = await import('../../nn/backend.js');
  await initBackend('cpu');
  return analyzeModel((await loadImportedModel(path)).spec);
}

async function runOne(f: Flags, name: string): Promise<void> {
  const model = f.tfjsModel !== undefined ? await loadTfjsAnalysis(f.tfjsModel) : loadModel(name);
  const gpu = getGpu(f.gpu);
  const config = {
    model,
    batch: parseInteger('--batch', f.batch, { min: 1, max: 1 << 20 }),
    gpu,
    link: getLink(f.link ?? gpu.defaultLink),
    library: libraryOf(f.cudnn),
    codec: f.codec,
    dtype: f.dtype,
    layout: f.layout,
    ratios: ratioSource(f, model),
    profile: profileFor(f, model),
    engine: engineOptions(f),
    optimizerSlots: SLOTS[f.optimizer],
    workspaceBytes: parseWorkspace(f.workspace),
  };
  if (f.policy === 'dyn') {
    const d = simulateDyn(config);
    if (f.json) {
      process.stdout.write(JSON.stringify(dynJson(d), null, 2) + '\n');
      return;
    }
    const chosen = d.chosen?.result;
    const parts = [dynText(d)];
    if (chosen) parts.push('', ...(f.layers ? [layerTable(chosen), ''] : []), summaryText(chosen));
    process.stdout.write(parts.join('\n') + '\n');
    return;
  }
  const r = simulate({ ...config, policy: f.policy, algo: f.algo });
  if (f.json) {
    process.stdout.write(JSON.stringify(resultJson(r), null, 2) + '\n');
    return;
  }
  const parts = f.layers ? [layerTable(r), '', summaryText(r)] : [summaryText(r)];
  process.stdout.write(parts.join('\n') + '\n');
}

async function runSweepCommand(f: Flags, names: string, out: string): Promise<void> {
  const models = list(names, '--models', (s) => s).map(loadModel);
  if (models.length > 1 && f.profile !== undefined) {
    throw new InvalidArgumentError(
      '--profile describes one network; sweep one --model with it, or drop --profile',
    );
  }
  const measured =
    f.study || f.ratios
      ? {
          label: f.study ? 'study' : 'table',
          source: (m: ModelAnalysis) => ratioSource({ ...f, density: undefined }, m),
        }
      : undefined;
  if (measured && f.densities)
    throw new InvalidArgumentError('--densities cannot be combined with --study or --ratios');
  const batch = parseInteger('--batch', f.batch, { min: 1, max: 1 << 20 });
  const inputs = inputsOf(f);
  const what = 'sweep output';
  prepareOutputDir(out, 'sweep folder');
  for (const file of SWEEP_FILES) checkOutput(join(out, file), { what, inputs });
  const result = runSweep({
    models,
    batch,
    gpus: list(f.gpus ?? SWEEP_GPUS, '--gpus', (s) => s).map(getGpu),
    links: list(f.links ?? SWEEP_LINKS, '--links', (s) => s).map(getLink),
    codecs: list(f.codecs ?? SWEEP_CODECS, '--codecs', choice(SIM_CODECS, 'codec')),
    dtypes: list(f.dtypes ?? f.dtype, '--dtypes', choice(SIM_DTYPES, 'dtype')),
    densities: list(f.densities ?? f.density ?? SWEEP_DENSITIES, '--densities', (s) => s).map((s) =>
      parseNumber('density', s, { min: 0, max: 1 }),
    ),
    policy: f.policy as Policy,
    algo: f.algo,
    library: libraryOf(f.cudnn),
    measured,
    layout: f.layout,
    profile: models.length === 1 ? profileFor(f, models[0]) : undefined,
    engine: engineOptions(f),
  });
  if (result.rows.length === 0) {
    throw new InvalidArgumentError(
      `no sweep point could be simulated: ${result.skipped.join('; ')}`,
    );
  }
  writeOutput(join(out, 'sweep.md'), sweepMarkdown(result.rows), { what, inputs });
  writeOutput(join(out, 'sweep.csv'), sweepCsv(result.rows), { what, inputs });
  writeOutput(join(out, 'sweep.html'), await sweepHtml(result), { what, inputs });
  if (f.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  process.stdout.write(
    `${result.rows.length} points written to ${join(out, 'sweep.md')}, sweep.csv and sweep.html` +
      (result.skipped.length > 0 ? `; skipped: ${result.skipped.join('; ')}` : '') +
      '\n',
  );
}

/** The papers' figures redrawn: paper.html and one SVG per chart in `out`. */
async function runPaperCommand(out: string): Promise<void> {
  const what = 'paper page';
  prepareOutputDir(out, 'paper folder');
  const page = await buildPaperPage();
  const files = ['paper.html', ...page.charts.map((c) => c.file)];
  for (const file of files) checkOutput(join(out, file), { what });
  for (const c of page.charts) writeOutput(join(out, c.file), c.svg, { what });
  writeOutput(join(out, 'paper.html'), page.html, { what });
  process.stdout.write(
    `${join(out, 'paper.html')} and ${page.charts.length} SVG charts written (${page.charts.map((c) => c.file).join(', ')})\n`,
  );
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .summary('predict oracle / vDNN / cDMA iteration time on a GPU and link (performance model)')
    .description(
      'Predict a training iteration on a GPU under the oracle (unlimited memory), vDNN (offload and ' +
        'prefetch over the host link) and cDMA (the same, compressed by a DMA engine): per-layer and ' +
        'total times, stalls, peak memory, whether it fits, and which engine limit binds. ' +
        'Assumptions and validation: docs/SIMULATOR.md.',
    )
    .option(
      '--model <name>',
      'zoo network (cdma models lists them), e.g. vgg16; required unless --sweep has --models',
    )
    .option('--batch <n>', 'batch size, 1 to 1048576', '128')
    .addOption(
      new Option(
        '--gpu <id>',
        `GPU preset: ${listGpus()
          .map((g) => g.id)
          .join(', ')}`,
      ).default('titanx'),
    )
    .option(
      '--link <name>',
      `host link: ${listLinks()
        .map((l) => l.id)
        .join(', ')} (default: the GPU's own); not with --sweep (use --links)`,
    )
    .addOption(
      new Option(
        '--policy <name>',
        `what vDNN and cDMA offload: every layer's input X (all), conv inputs (conv), nothing ` +
          `(none, as in cdma train: only the oracle's numbers), or vDNN_dyn's choice of the fastest configuration that ` +
          `fits (dyn): ${[...POLICIES, 'dyn'].join(', ')}`,
      ).default('all'),
    )
    .addOption(
      new Option(
        '--algo <a>',
        'convolution algorithms of the vDNN and cDMA runs: memory-optimal (implicit GEMM, no ' +
          'workspace) or performance-optimal (the fastest, with its workspace); the oracle runs ' +
          'performance-optimal',
      )
        .choices([...ALGO_CHOICES])
        .default('performance'),
    )
    .option(
      '--cudnn <v>',
      `cuDNN generation whose algorithms are available: ${CONV_LIBRARIES.map((l) => `${l.id.slice(5)} (${l.algorithms.join(', ')})`).join('; ')}`,
      '4',
    )
    .addOption(
      new Option('--codec <c>', 'cDMA compression').choices([...SIM_CODECS]).default('zvc'),
    )
    .option('--density <d>', `post-ReLU density for model ratios (default ${DEFAULT_DENSITY})`)
    .option('--study <file>', "per-layer densities and ratios from a study's results.json")
    .option(
      '--ratios <file>',
      'per-layer ratio table JSON ({"layers": {"conv1/relu": 3.2}, "default": 1}), keys the network\'s layer names',
    )
    .addOption(
      new Option('--layout <l>', 'layout whose measured ratios to use')
        .choices([...SIM_LAYOUTS])
        .default('nchw'),
    )
    .addOption(
      new Option('--dtype <t>', 'activation element type')
        .choices([...SIM_DTYPES])
        .default('float32'),
    )
    .option(
      '--profile <file>',
      'measured per-layer times or per-kind efficiencies (JSON) overriding the roofline',
    )
    .addOption(
      new Option(
        '--placement <p>',
        'cDMA compressors at the memory controllers or at the DMA engine',
      )
        .choices(['mc', 'dma'])
        .default('mc'),
    )
    .option('--units <n>', 'compressor units, 1 to 4096 (default: one per memory partition)')
    .option(
      '--unit-gbs <x>',
      `GB/s per compressor unit, 0.001 to ${MAX_GBS} (default 32 B x core clock)`,
    )
    .option(
      '--crossbar-gbs <x>',
      `GB/s of the crossbar port into the DMA engine, 0.001 to ${MAX_GBS} (default the link's peak)`,
    )
    .addOption(
      new Option(
        '--optimizer <o>',
        'optimizer state per parameter: sgd (none), momentum (1 copy), adam (2 copies)',
      )
        .choices(['sgd', 'momentum', 'adam'])
        .default('momentum'),
    )
    .option(
      '--workspace <size>',
      `constant convolution workspace, a byte size (${BYTE_SIZE_HELP}), at most 1TiB; not with --sweep`,
      '0',
    )
    .addOption(new Option('--workspace-mb <n>', 'replaced by --workspace SIZE').hideHelp())
    .option('--no-layers', 'omit the per-layer table (not with --json or --sweep)')
    .option('--json', jsonHelp('the result (a sweep: its points)'))
    .option(
      '--sweep',
      'simulate a grid of GPUs, links, codecs, dtypes and densities; write a table and HTML page',
    )
    .option(
      '--out <dir>',
      'sweep: folder for sweep.md, sweep.csv and sweep.html (default sim-sweep)',
    )
    .option('--models <list>', 'sweep: comma-separated networks (default --model)')
    .option(
      '--tfjs-model <path>',
      'simulate an imported TensorFlow.js Layers model.json (its layers and shapes, as cdma train --tfjs-model imports it) instead of a zoo network',
    )
    .option('--gpus <list>', `sweep: GPUs (default ${SWEEP_GPUS})`)
    .option('--links <list>', `sweep: links (default ${SWEEP_LINKS})`)
    .option('--codecs <list>', `sweep: codecs (default ${SWEEP_CODECS})`)
    .option('--densities <list>', `sweep: densities (default ${SWEEP_DENSITIES})`)
    .option('--dtypes <list>', 'sweep: activation types (default --dtype)')
    .option(
      '--paper <dir>',
      "redraw the vDNN and cDMA papers' evaluation figures from the model, with the papers' values " +
        'overlaid: DIR/paper.html (offline) and one SVG per chart; takes no other option',
    )
    .action(async (flags: Flags, cmd: Command) => {
      checkOptions(flags, cmd);
      if (flags.paper !== undefined) {
        await runPaperCommand(flags.paper);
      } else if (flags.sweep) {
        await runSweepCommand(flags, flags.models ?? flags.model ?? '', flags.out ?? 'sim-sweep');
      } else {
        await runOne(flags, flags.model ?? '');
      }
    });
}
