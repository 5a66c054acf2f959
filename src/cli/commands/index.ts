import type { Command } from 'commander';
import { registerCompare } from './compare.js';
import { registerCompress } from './compress.js';
import { registerDecompress } from './decompress.js';
import { registerDemo } from './demo.js';
import { registerInspect } from './inspect.js';
import { registerModels } from './models.js';
import { registerSimulate } from './simulate.js';
import { registerStudy } from './study.js';
import { registerTrain } from './train.js';

/** Every command registers itself here, one line each. */
export function registerCommands(program: Command): void {
  registerCompare(program);
  registerCompress(program);
  registerDecompress(program);
  registerDemo(program);
  registerInspect(program);
  registerModels(program);
  registerSimulate(program);
  registerStudy(program);
  registerTrain(program);
}
