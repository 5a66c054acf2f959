/**
 * `--json` means one thing in every command: print the machine-readable
 * result on stdout instead of the text. Writing the same JSON to a file is
 * `--json-out FILE` (train and compare, whose runs are long), which keeps
 * the text on stdout; both may be given.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from '../errors.js';

/** The --json help text of every command: "print <what> as JSON on stdout instead of the text[; <note>]". */
export function jsonHelp(what: string, note?: string): string {
  return `print ${what} as JSON on stdout instead of the text${note === undefined ? '' : `; ${note}`}`;
}

/**
 * Adds --json and --json-out FILE to a command that takes no positional
 * arguments; call checkJsonOptions first in its action.
 */
export function addJsonOptions(cmd: Command, what: string, note?: string): Command {
  return cmd
    .option('--json', jsonHelp(what, note))
    .option(
      '--json-out <file>',
      'also write that JSON to FILE (the text stays on stdout; with --json, both)',
    )
    .allowExcessArguments(true);
}

/**
 * Refuses words the command does not take. `--json FILE` (train's old
 * spelling) gets the new one: --json prints, --json-out FILE writes.
 */
export function checkJsonOptions(cmd: Command): void {
  const extra = cmd.args;
  if (extra.length === 0) return;
  if (cmd.getOptionValue('json') === true && extra.length === 1) {
    throw new InvalidArgumentError(
      `--json takes no file: it prints the JSON on stdout; to write it to ${extra[0]}, use --json-out ${extra[0]}`,
    );
  }
  throw new InvalidArgumentError(
    `too many arguments for '${cmd.name()}': ${extra.map((a) => `'${a}'`).join(' ')} (it takes options only)`,
  );
}

/** The JSON text every command prints or writes: two-space indented, one newline at the end. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
