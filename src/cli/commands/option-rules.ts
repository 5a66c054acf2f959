/**
 * Rules between a command's options: which ones the user gave (rather than
 * their defaults), and refusing one that would have no effect, with a
 * one-line error saying why.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from '../../errors.js';

/** Whether the user gave option `key` (its attribute name, e.g. 'hostStore'), not its default. */
export function given(cmd: Command, key: string): boolean {
  const source = cmd.getOptionValueSource(key);
  return source !== undefined && source !== 'default' && source !== 'implied';
}

/** The option's long flag as the user writes it, e.g. '--host-store' or '--no-layers'. */
export function flagOf(cmd: Command, key: string): string {
  return cmd.options.find((o) => o.attributeName() === key)?.long ?? `--${key}`;
}

/** Refuses the first of `keys` the user gave: "<flag> <why>". */
export function refuseGiven(cmd: Command, keys: readonly string[], why: string): void {
  const key = keys.find((k) => given(cmd, k));
  if (key !== undefined) throw new InvalidArgumentError(`${flagOf(cmd, key)} ${why}`);
}

/** A warm-up longer than the run would never reach the schedule or the base rate. */
export function checkWarmup(warmup: number, steps: number): void {
  if (warmup > steps) {
    throw new InvalidArgumentError(
      `--warmup ${warmup} is longer than the run (${steps} step${steps === 1 ? '' : 's'}); give at most ${steps}, or train longer`,
    );
  }
}
