import type { Command } from 'commander';

/** Every command registers itself here, one line each. */
export function registerCommands(_program: Command): void {}
