/**
 * The optimiser options of the commands that train a network from a
 * learning rate (train, compare): one definition, so their names, help and
 * defaults cannot drift apart.
 */
import type { Command } from 'commander';
import { parseNumber } from '../io/numbers.js';
import { parseOptimizerName, type OptimizerName } from '../train/optimizer.js';
import { ADAM_DEFAULT_LR, DEFAULTS, TRAINING_HELP, TRAINING_RANGES } from './defaults.js';
import { given, refuseGiven } from './commands/option-rules.js';

/** --lr, --optimizer, --lr-schedule, --warmup (at most `warmupLimit`), --momentum, --weight-decay. */
export function addOptimizerOptions(cmd: Command, warmupLimit: string): Command {
  return cmd
    .option('--lr <x>', TRAINING_HELP.lr, DEFAULTS.lr)
    .option(
      '--optimizer <name>',
      `sgd (momentum, weight decay) or adam (Keras' defaults; --lr then defaults to ${ADAM_DEFAULT_LR})`,
      DEFAULTS.optimizer,
    )
    .option('--lr-schedule <name>', TRAINING_HELP.lrSchedule, DEFAULTS.lrSchedule)
    .option(
      '--warmup <n>',
      `steps of linear learning-rate warm-up before the schedule, at most ${warmupLimit}`,
      DEFAULTS.warmup,
    )
    .option('--momentum <m>', TRAINING_HELP.momentum, DEFAULTS.momentum)
    .option('--weight-decay <w>', TRAINING_HELP.weightDecay, DEFAULTS.weightDecay);
}

/** The optimiser and its base rate: Adam refuses --momentum and, without --lr, takes Keras' rate. */
export function parseOptimizerOptions(
  o: { readonly optimizer: string; readonly lr: string },
  cmd: Command,
): { optimizer: OptimizerName; lr: number } {
  const optimizer = parseOptimizerName(o.optimizer);
  if (optimizer === 'adam') {
    refuseGiven(
      cmd,
      ['momentum'],
      'has no effect with --optimizer adam; drop it or use --optimizer sgd',
    );
  }
  const lr =
    optimizer === 'adam' && !given(cmd, 'lr')
      ? ADAM_DEFAULT_LR
      : parseNumber('--lr', o.lr, TRAINING_RANGES.lr);
  return { optimizer, lr };
}
