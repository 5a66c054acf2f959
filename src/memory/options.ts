/**
 * The memory options shared by `cdma train` and `cdma compare`, parsed into
 * a MemoryConfig: --policy, --codec, --budget, --link, --host-store,
 * --prefetch-ahead, --trace.
 */
import { Option, type Command } from 'commander';
import type { CodecId, CodecParams } from '../codec/codec.js';
import { CODEC_IDS, checkCodecId, parseParams, resolveParams } from '../codec/registry.js';
import { InvalidArgumentError } from '../errors.js';
import type { ModelSpec } from '../nn/spec.js';
import { measureComputeRate } from './calibrate.js';
import type { MemoryConfig } from './config.js';
import { LINK_CHOICES, parseLink, type LinkModel } from './link.js';
import { MemoryManager } from './manager.js';
import { POLICY_NAMES, parsePolicy } from './policy.js';

export { CODEC_IDS };

/** The raw option values commander collects (all strings). */
export interface MemoryCliOptions {
  readonly policy?: string;
  readonly codec?: string;
  readonly budget?: string;
  readonly link?: string;
  readonly hostStore?: string;
  readonly prefetchAhead?: string;
  readonly trace?: string;
}

/** Adds the memory options to a command. */
export function addMemoryOptions(cmd: Command, defaults: { policy?: string } = {}): Command {
  return cmd
    .addOption(
      new Option(
        '--policy <name>',
        'what leaves the device: none (keep all, the oracle), all (every saved activation), ' +
          'conv (inputs of convolutions), dyn (profile a step, then the fastest set that fits --budget)',
      )
        .choices([...POLICY_NAMES])
        .default(defaults.policy ?? 'none'),
    )
    .option(
      '--codec <id>',
      `compression on the way out: ${CODEC_IDS.join(', ')} (none = vDNN, zvc = cDMA); ` +
        'parameters as id:key=value,... e.g. zlib:level=1',
      'zvc',
    )
    .option(
      '--budget <bytes>',
      'device-memory budget, e.g. 512MiB or 1.5GiB; training stops before the first step if the policy cannot fit',
    )
    .option(
      '--link <link>',
      `device-host link: ${LINK_CHOICES.join(', ')}; paper-scaled measures this machine and gives it ` +
        "the paper's compute-to-PCIe ratio",
      'unlimited',
    )
    .option(
      '--host-store <dir>',
      'where offloaded data lives: ram, or a directory for checksummed spill files',
      'ram',
    )
    .option(
      '--prefetch-ahead <n>',
      'layers (with offloaded data) the backward pass prefetches ahead',
      '1',
    )
    .option('--trace <file>', 'write a Chrome trace (compute and transfer lanes) for Perfetto');
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1e3,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1e6,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1e9,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1e12,
};

/** "512MiB", "1.5GiB", "2GB", "1048576" -> bytes. */
export function parseBudget(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
  const v = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!Number.isSafeInteger(v) || v <= 0) {
    throw new InvalidArgumentError(
      `--budget '${text}' is not a positive byte size; write e.g. 512MiB, 1.5GiB or 1073741824`,
    );
  }
  return v;
}

/** "zvc", "zlib:level=1", "rle:runBits=8,litBits=8" -> codec id and parameters, validated. */
export function parseCodecOption(text: string): { id: CodecId; params?: CodecParams } {
  const colon = text.indexOf(':');
  const id = (colon < 0 ? text : text.slice(0, colon)).trim();
  checkCodecId(id);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  if (rest.trim() === '') return { id };
  const params = parseParams(rest);
  resolveParams(id, params);
  return { id, params };
}

export function parsePrefetchAhead(text: string): number {
  const v = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(v) || v > 1000) {
    throw new InvalidArgumentError(
      `--prefetch-ahead '${text}' must be a whole number of layers (0-1000)`,
    );
  }
  return v;
}

/**
 * Parses the options into a MemoryConfig. `paper-scaled` measures the
 * compute rate on the active tfjs backend unless one is given.
 */
export function parseMemoryOptions(
  o: MemoryCliOptions,
  computeFlopsPerSecond?: number,
): MemoryConfig {
  const linkText = o.link ?? 'unlimited';
  let link: LinkModel;
  if (linkText.trim().toLowerCase() === 'paper-scaled') {
    link = parseLink(linkText, computeFlopsPerSecond ?? measureComputeRate().flopsPerSecond);
  } else {
    link = parseLink(linkText);
  }
  const hs = o.hostStore ?? 'ram';
  return {
    policy: parsePolicy(o.policy ?? 'none'),
    codec: parseCodecOption(o.codec ?? 'zvc'),
    budgetBytes: o.budget !== undefined ? parseBudget(o.budget) : undefined,
    link,
    hostStore: hs === 'ram' ? { kind: 'ram' } : { kind: 'spill', dir: hs },
    prefetchAhead: parsePrefetchAhead(o.prefetchAhead ?? '1'),
    tracePath: o.trace,
  };
}

/**
 * The store `cdma train` passes to the trainer: undefined when the options
 * ask for nothing (policy none, no budget, no trace), so the executor keeps
 * its own store; otherwise a started MemoryManager the caller must close().
 */
export async function createMemoryStore(
  o: MemoryCliOptions,
  ctx: {
    readonly spec: ModelSpec;
    readonly batch: number;
    readonly computeFlopsPerSecond?: number;
  },
): Promise<MemoryManager | undefined> {
  const config = parseMemoryOptions(o, ctx.computeFlopsPerSecond);
  if (
    config.policy === 'none' &&
    config.budgetBytes === undefined &&
    config.tracePath === undefined
  ) {
    return undefined;
  }
  return MemoryManager.create({ config, spec: ctx.spec, batch: ctx.batch });
}
