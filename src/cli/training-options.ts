/**
 * The optimiser options of the commands that train a network from a
 * learning rate (train, compare): one definition, so their names, help and
 * defaults cannot drift apart.
 */
import type { Command } from 'commander';
import { ADAM_DEFAULT_LR, DEFAULTS, TRAINING_HELP } from './defaults.js';

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
