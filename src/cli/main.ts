#!/usr/bin/env node
/** The `cdma` command line. Each command lives in ./commands/<name>.ts. */
import { Command, CommanderError, type Option } from 'commander';
import { CdmaError, InterruptedError } from '../errors.js';
import { installProcessGuards, runCleanups } from '../io/lifecycle.js';
import { registerCommands } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('cdma')
    .description(
      'Train deep networks in less accelerator memory than their activations need:\n' +
        'offload saved activations to host memory (vDNN) and compress them in flight (cDMA).',
    )
    .version('0.1.0');
  registerCommands(program);
  forEachCommand(program, (cmd) => {
    cmd.configureOutput({
      outputError: (str, write) => write(`${commanderMessage(str, commandPath(cmd))}\n`),
    });
  });
  requiredAfterUnknown(program);
  return program;
}

function forEachCommand(cmd: Command, f: (c: Command) => void): void {
  f(cmd);
  for (const sub of cmd.commands) forEachCommand(sub, f);
}

/** Commander's errors read `error: ...`; the CLI's own read `cdma: ...`: one prefix for both. */
export function cdmaPrefix(message: string): string {
  return message.startsWith('cdma: ') ? message : `cdma: ${message.replace(/^error: /, '')}`;
}

/** `cdma train`, `cdma` for the program itself. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * One line for a commander error, as the CLI's own errors are: the message
 * with the `cdma:` prefix, commander's "(Did you mean --model?)" folded in as
 * "(did you mean --model?)", and where the usage is.
 * e.g. "cdma: unknown option '--modle' (did you mean --model?); see cdma train --help"
 */
export function commanderMessage(text: string, command: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const [first = '', ...rest] = lines;
  const hints = rest.map((l) => l.replace(/^\(Did you mean/, '(did you mean'));
  return [cdmaPrefix(first), ...hints].join(' ') + `; see ${command} --help`;
}

/**
 * Commander checks required options before unknown ones, so a mistyped
 * required option (`--modle x`) was reported as the required one missing.
 * Required options are checked here instead, in a hook that runs after
 * commander's unknown-option check: the mistyped option is named as unknown.
 */
function requiredAfterUnknown(program: Command): void {
  const required = new Map<Command, Option[]>();
  forEachCommand(program, (cmd) => {
    const options = cmd.options.filter((o) => o.mandatory);
    for (const o of options) o.makeOptionMandatory(false);
    if (options.length > 0) required.set(cmd, options);
  });
  program.hook('preAction', (_program, action) => {
    for (let cmd: Command | null = action; cmd !== null; cmd = cmd.parent) {
      for (const o of required.get(cmd) ?? []) {
        if (cmd.getOptionValue(o.attributeName()) === undefined) {
          cmd.error(`required option '${o.flags}' not specified`, {
            code: 'commander.missingMandatoryOptionValue',
          });
        }
      }
    }
  });
}

/** Subcommands do not inherit exitOverride set after they were added: set it on each. */
function exitOverrideAll(cmd: Command): Command {
  cmd.exitOverride();
  for (const sub of cmd.commands) exitOverrideAll(sub);
  return cmd;
}

export async function main(argv: string[]): Promise<number> {
  const program = exitOverrideAll(buildProgram());
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof CdmaError) {
      process.stderr.write(`cdma: ${e.message}\n`);
      return e instanceof InterruptedError ? e.exitCode : 1;
    }
    throw e;
  }
}

const invoked = process.argv[1] ?? '';
if (/cli[\\/]main\.(js|ts)$/.test(invoked) || /[\\/]cdma$/.test(invoked)) {
  installProcessGuards();
  main(process.argv.slice(2)).then(
    (code) => {
      runCleanups();
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(
        `cdma: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
      runCleanups();
      process.exitCode = 2;
    },
  );
}
