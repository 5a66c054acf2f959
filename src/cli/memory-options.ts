/**
 * The command-line definitions of the memory options that `cdma train`
 * takes (--policy, --codec, --budget, --link, --host-store, --prefetch-ahead,
 * --trace); src/memory/options.ts parses their values into a MemoryConfig.
 */
import type { Command } from 'commander';
import { CODEC_IDS } from '../codec/registry.js';
import { LINK_CHOICES } from '../memory/link.js';
import type { PolicyName } from '../plan/index.js';
import { refuseGiven } from './commands/option-rules.js';
import { BYTE_SIZE_HELP } from '../io/sizes.js';

/** The memory options that act only on what is offloaded (attribute names). */
export const OFFLOAD_OPTIONS = ['codec', 'link', 'hostStore', 'prefetchAhead'] as const;

/** Adds the memory options to a command. */
export function addMemoryOptions(cmd: Command, defaults: { policy?: string } = {}): Command {
  return cmd
    .option(
      '--policy <name>',
      'what leaves the device: none (keep all, the oracle), all (every saved activation), ' +
        'conv (inputs of convolutions), dyn (profile a step, then the fastest set that fits --budget)',
      defaults.policy ?? 'none',
    )
    .option(
      '--codec <id>',
      `compression on the way out, with a --policy other than none: ${CODEC_IDS.join(', ')} ` +
        '(none = vDNN, zvc = cDMA); parameters as id:key=value,... e.g. zlib:level=1',
      'zvc',
    )
    .option(
      '--budget <size>',
      `device-memory budget, a byte size (${BYTE_SIZE_HELP}); training stops before the first step if the policy cannot fit`,
    )
    .option(
      '--link <name>',
      `device-host link, with a --policy other than none: ${LINK_CHOICES.join(', ')}; ` +
        "paper-scaled measures this machine and gives it the paper's compute-to-PCIe ratio",
      'unlimited',
    )
    .option(
      '--host-store <dir>',
      'where offloaded data lives, with a --policy other than none: ram, or a directory for checksummed spill files',
      'ram',
    )
    .option(
      '--prefetch-ahead <n>',
      'layers (with offloaded data) the backward pass prefetches ahead, 0 to 1000, with a --policy other than none',
      '1',
    )
    .option(
      '--trace <file>',
      'write a Chrome trace (compute and transfer lanes) for Perfetto; its otherData.status is "ok", ' +
        'or "failed" with the error',
    );
}

/**
 * Refuses the options that act only on offloaded data when `policy` is none:
 * nothing leaves the device, so they would change nothing.
 */
export function checkOffloadOptions(cmd: Command, policy: PolicyName): void {
  if (policy !== 'none') return;
  refuseGiven(
    cmd,
    OFFLOAD_OPTIONS,
    'has no effect with --policy none (the default: nothing leaves the device); add --policy all, conv or dyn',
  );
}
