import type { Command } from 'commander';
import { registerDemo } from './demo.js';
import { registerModels } from './models.js';
import { registerSimulate } from './simulate.js';

/** Every command registers itself here, one line each. */
export function registerCommands(program: Command): void {
  registerDemo(program);
  registerModels(program);
  registerSimulate(program);
}
