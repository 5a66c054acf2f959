/**
 * `cdma models`: the model zoo at a glance, or one network layer by layer
 * with output shapes, parameters, FLOPs and the activation bytes it saves
 * for the backward pass at a batch size.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from '../../errors.js';
import { parseInteger } from '../../io/numbers.js';
import { ModelPlan } from '../../plan/index.js';
import { getModel, listModels } from '../../nn/zoo/index.js';
import { jsonHelp } from '../json-output.js';

interface ModelsOptions {
  batch: string;
  json?: boolean;
  input?: string;
  classes?: string;
  elementBytes: string;
}

const MiB = 2 ** 20;

function parseInputShape(text: string): [number, number, number] {
  const parts = text.split(/[x,]/);
  if (parts.length !== 3) {
    throw new InvalidArgumentError(`--input must be CxHxW, e.g. 3x32x32, got '${text}'`);
  }
  const [c, h, w] = parts.map((p) => parseInteger('--input dimensions', p, { min: 1, max: 65536 }));
  return [c, h, w];
}

/** A plain-text table; `align` has one letter per column, 'l' or 'r'. */
function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: string,
): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r: readonly string[]) =>
    r
      .map((cell, i) => (align[i] === 'l' ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n') + '\n';
}

const int = (n: number) => n.toLocaleString('en-US');
const giga = (n: number) => (n / 1e9).toFixed(3);
const mega = (n: number) =>
  (n / 1e6).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const mib = (bytes: number) =>
  (bytes / MiB).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const shape = (s: readonly number[]) => s.join('x');

function listing(batch: number, elementBytes: number, json: boolean): string {
  const models = listModels().map((m) => {
    const plan = ModelPlan.of(getModel(m.name));
    return { info: m, a: plan.analysis, plan };
  });
  if (json) {
    const out = models.map(({ info, a, plan }) => ({
      name: info.name,
      description: info.description,
      inputShape: info.inputShape,
      numClasses: info.numClasses,
      layers: a.layers.length,
      params: a.params,
      forwardFlopsPerExample: a.forwardFlops,
      backwardFlopsPerExample: a.backwardFlops,
      batch,
      bytesPerElement: elementBytes,
      savedBytes: plan.savedBytes(batch, elementBytes),
    }));
    return JSON.stringify(out, null, 2) + '\n';
  }
  const rows = models.map(({ info, a, plan }) => [
    info.name,
    shape(info.inputShape),
    int(a.params),
    giga(a.forwardFlops),
    giga(a.backwardFlops),
    mib(plan.savedBytes(batch, elementBytes)),
    info.description,
  ]);
  const head = [
    'model',
    'input',
    'params',
    'fwd GFLOP/ex',
    'bwd GFLOP/ex',
    `saved MiB @ batch ${batch}`,
    'description',
  ];
  return (
    table(head, rows, 'llrrrrl') +
    `\nFLOPs per example (a multiply-add counts 2); saved = distinct activations kept for backward, ${elementBytes} bytes/element.\n` +
    'Details of one network: cdma models NAME --batch N\n'
  );
}

function layersReport(plan: ModelPlan, batch: number, elementBytes: number, json: boolean): string {
  const a = plan.analysis;
  const name = (i: number) => a.spec.layers[i].name;
  const bytes = (elements: number) => elements * batch * elementBytes;
  if (json) {
    const out = {
      name: a.spec.name,
      description: a.spec.description,
      numClasses: a.spec.numClasses,
      batch,
      bytesPerElement: elementBytes,
      params: a.params,
      forwardFlops: a.forwardFlops * batch,
      backwardFlops: a.backwardFlops * batch,
      savedBytes: plan.savedBytes(batch, elementBytes),
      layers: a.layers.map((l) => ({
        index: l.index,
        name: l.spec.name,
        kind: l.spec.kind,
        inputs: l.spec.inputs,
        outputShape: l.outputShape,
        params: l.params,
        forwardFlops: l.forwardFlops * batch,
        backwardFlops: l.backwardFlops * batch,
        savedBytes: bytes(l.savedElements),
      })),
      saved: plan.buffers.map((t) => ({
        producer: t.ownerName,
        kind: t.kind,
        bytes: bytes(t.elements),
        savedBy: t.savedBy.map(name),
        lastUseIndex: t.savedBy[t.savedBy.length - 1],
      })),
    };
    return JSON.stringify(out, null, 2) + '\n';
  }
  const rows = a.layers.map((l) => [
    String(l.index),
    l.spec.name,
    l.spec.kind,
    shape(l.outputShape),
    int(l.params),
    mega(l.forwardFlops * batch),
    mega(l.backwardFlops * batch),
    mib(bytes(l.savedElements)),
  ]);
  const perLayerSaved = a.layers.reduce((s, l) => s + bytes(l.savedElements), 0);
  rows.push([
    '',
    'total',
    '',
    '',
    int(a.params),
    mega(a.forwardFlops * batch),
    mega(a.backwardFlops * batch),
    mib(perLayerSaved),
  ]);
  const head = ['#', 'layer', 'kind', 'output', 'params', 'fwd MFLOP', 'bwd MFLOP', 'saved MiB'];
  const distinct = plan.savedBytes(batch, elementBytes);
  return (
    `${a.spec.name}: ${a.spec.description}\n` +
    `input ${shape(a.layers[0].outputShape)}, ${a.spec.numClasses} classes, batch ${batch}, ${elementBytes} bytes/element\n\n` +
    table(head, rows, 'rlllrrrr') +
    `\nsaved for backward: ${mib(distinct)} MiB in ${plan.buffers.length} distinct tensors ` +
    `(${mib(perLayerSaved)} MiB summed per layer, where a tensor two layers keep counts twice)\n` +
    `FLOPs for the whole batch (a multiply-add counts 2); output shapes per example.\n`
  );
}

export function registerModels(program: Command): void {
  program
    .command('models')
    .summary('list the model zoo, or one network layer by layer')
    .description(
      'List the model zoo, or one network layer by layer: output shapes, parameters,\n' +
        'FLOPs and the activation bytes saved for the backward pass at a batch size.',
    )
    .argument('[name]', 'a zoo network (e.g. vgg16, alexnet-small); omit to list them all')
    .option('-b, --batch <n>', 'batch size for FLOPs and saved bytes', '1')
    .option(
      '--input <CxHxW>',
      "input shape override for NAME, e.g. 3x32x32 (default: the network's)",
    )
    .option('--classes <n>', "number of classes for NAME (default: the network's)")
    .option(
      '--element-bytes <n>',
      'bytes per activation element: 1, 2, 4 or 8 (4 = fp32, 2 = fp16)',
      '4',
    )
    .option('--json', jsonHelp('the table'))
    .action((name: string | undefined, opts: ModelsOptions) => {
      const batch = parseInteger('--batch', opts.batch, { min: 1, max: 1 << 20 });
      const elementBytes = parseInteger('--element-bytes', opts.elementBytes, { min: 1, max: 8 });
      if (![1, 2, 4, 8].includes(elementBytes)) {
        throw new InvalidArgumentError(
          `--element-bytes must be 1, 2, 4 or 8 (an element type's width: 4 = fp32, 2 = fp16), got ${elementBytes}`,
        );
      }
      const json = opts.json === true;
      if (name === undefined) {
        if (opts.input !== undefined || opts.classes !== undefined) {
          throw new InvalidArgumentError('--input and --classes need a model NAME');
        }
        process.stdout.write(listing(batch, elementBytes, json));
        return;
      }
      const spec = getModel(name, {
        inputShape: opts.input === undefined ? undefined : parseInputShape(opts.input),
        numClasses:
          opts.classes === undefined
            ? undefined
            : parseInteger('--classes', opts.classes, { min: 1, max: 1 << 20 }),
      });
      process.stdout.write(layersReport(ModelPlan.of(spec), batch, elementBytes, json));
    });
}
