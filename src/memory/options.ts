/**
 * The memory options shared by `cdma train` and `cdma compare`, parsed into
 * a MemoryConfig: --policy, --codec, --budget, --link, --host-store,
 * --prefetch-ahead, --trace. The command-line definitions live with the CLI
 * (src/cli/memory-options.ts); this module only parses their text.
 */
import type { CodecId, CodecParams } from '../codec/codec.js';
import { CODEC_IDS, checkCodecId, parseParams, resolveParams } from '../codec/registry.js';
import { parseInteger } from '../io/numbers.js';
import { parseByteSize } from '../io/sizes.js';
import type { ModelSpec } from '../nn/spec.js';
import { measureComputeRate, measureComputeRateSync } from './calibrate.js';
import type { MemoryConfig } from './config.js';
import { parseLink, type LinkModel } from './link.js';
import { MemoryManager } from './manager.js';
import { parsePolicy } from '../plan/index.js';

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

/** "512MiB", "1.5GiB", "2GB", "1048576" -> bytes (src/io/sizes.ts's syntax), at least 1. */
export function parseBudget(text: string): number {
  return parseByteSize(text, '--budget', 1);
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

/** Layers the backward pass prefetches ahead: a whole number from 0 to 1000. */
export function parsePrefetchAhead(text: string): number {
  return parseInteger('--prefetch-ahead', text, { min: 0, max: 1000 });
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
    link = parseLink(linkText, computeFlopsPerSecond ?? measureComputeRateSync().flopsPerSecond);
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
  const paperScaled = o.link?.trim().toLowerCase() === 'paper-scaled';
  const rate =
    ctx.computeFlopsPerSecond ??
    (paperScaled ? (await measureComputeRate()).flopsPerSecond : undefined);
  const config = parseMemoryOptions(o, rate);
  if (
    config.policy === 'none' &&
    config.budgetBytes === undefined &&
    config.tracePath === undefined
  ) {
    return undefined;
  }
  return MemoryManager.create({ config, spec: ctx.spec, batch: ctx.batch });
}
