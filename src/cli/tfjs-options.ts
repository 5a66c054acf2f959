/**
 * The options train, compare and study share for an imported TensorFlow.js
 * model (--tfjs-model, --freeze-to, --classes) and for preprocessing
 * (--input-range, --resize, --scale), with their rules.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from '../errors.js';
import { parseInteger } from '../io/numbers.js';
import {
  parseInputRange,
  parseResizeMode,
  parseScaleOrder,
  type Preprocessing,
} from '../data/preprocess.js';
import { refuseGiven } from './commands/option-rules.js';

export interface TfjsCliOptions {
  tfjsModel?: string;
  freezeTo?: string;
  classes?: string;
  inputRange?: string;
  resize: string;
  scale: string;
}

/** Most classes --classes takes (a dataset has at most 256). */
export const MAX_CLASSES = 65_536;

export function addTfjsModelOptions(cmd: Command): Command {
  return cmd
    .option(
      '--tfjs-model <path>',
      'train an imported TensorFlow.js Layers model (model.json with its weight files) instead of a zoo network',
    )
    .option(
      '--freeze-to <layer>',
      "with --tfjs-model: keep the weights of this layer and every layer before it; 'none' trains every layer " +
        "(default: the model's own trainable flags)",
    )
    .option(
      '--classes <n>',
      `with --tfjs-model: replace the classifier head (the Dense layer giving the logits) by a new one for n classes, 2 to ${MAX_CLASSES}`,
    );
}

export function addPreprocessingOptions(cmd: Command): Command {
  return cmd
    .option(
      '--input-range <range>',
      'pixel scaling: lo,hi maps 0..255 linearly (e.g. 0,1 or -1,1); mean-std normalises per channel ' +
        'with the training split (default: mean-std for zoo networks, 0,1 for --tfjs-model)',
    )
    .option(
      '--resize <mode>',
      'bilinear resizing: half-pixel (centres) or align-corners',
      'half-pixel',
    )
    .option(
      '--scale <when>',
      'scale pixels after-resize (resize 8-bit pixels, rounded) or before-resize (resize the scaled floats)',
      'after-resize',
    );
}

export interface TfjsSettings {
  readonly path: string;
  readonly freezeTo?: string;
  readonly classes?: number;
}

/** --tfjs-model and its companions; undefined without --tfjs-model (and then the companions are refused). */
export function parseTfjsOptions(o: TfjsCliOptions, cmd: Command): TfjsSettings | undefined {
  if (o.tfjsModel === undefined) {
    refuseGiven(
      cmd,
      ['freezeTo', 'classes'],
      'applies to an imported model; add --tfjs-model PATH',
    );
    return undefined;
  }
  if (o.tfjsModel === '') throw new InvalidArgumentError('--tfjs-model: the path is empty');
  if (o.freezeTo === '') throw new InvalidArgumentError("--freeze-to: give a layer name or 'none'");
  return {
    path: o.tfjsModel,
    freezeTo: o.freezeTo,
    classes:
      o.classes === undefined
        ? undefined
        : parseInteger('--classes', o.classes, { min: 2, max: MAX_CLASSES }),
  };
}

/**
 * The network of train and compare: exactly one of --model (a zoo network)
 * and --tfjs-model; an imported model's input shape is its own, so --input
 * has no effect with it. Returns the imported model's settings, if any.
 */
export function parseModelSource(
  o: TfjsCliOptions & { readonly model?: string },
  cmd: Command,
): TfjsSettings | undefined {
  if ((o.model === undefined) === (o.tfjsModel === undefined)) {
    throw new InvalidArgumentError(
      'give --model NAME (a zoo network) or --tfjs-model PATH (an imported model), exactly one',
    );
  }
  const tfjs = parseTfjsOptions(o, cmd);
  if (tfjs !== undefined) {
    refuseGiven(
      cmd,
      ['input'],
      "has no effect with --tfjs-model: an imported model's input shape is its own",
    );
  }
  return tfjs;
}

export function parsePreprocessing(o: TfjsCliOptions, imported: boolean): Preprocessing {
  return {
    range:
      o.inputRange === undefined ? (imported ? [0, 1] : 'mean-std') : parseInputRange(o.inputRange),
    resize: parseResizeMode(o.resize),
    scale: parseScaleOrder(o.scale),
  };
}
