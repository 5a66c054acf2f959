#!/usr/bin/env node
/** The `cdma` command line. Each command lives in ./commands/<name>.ts. */
import { Command, CommanderError } from 'commander';
import { CdmaError } from '../errors.js';
import { registerCommands } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('cdma')
    .description(
      'Train deep networks in less accelerator memory than their activations need:\n' +
        'offload saved activations to host memory (vDNN) and compress them in flight (cDMA).',
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)');
  registerCommands(program);
  return program;
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
      return 1;
    }
    throw e;
  }
}

const invoked = process.argv[1] ?? '';
if (/cli[\\/]main\.(js|ts)$/.test(invoked) || /[\\/]cdma$/.test(invoked)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(
        `cdma: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
      process.exitCode = 2;
    },
  );
}
