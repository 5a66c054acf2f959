/**
 * The memory manager for programs: typed options, checked like the CLI's
 * (an unknown option or value is an InvalidArgumentError that names it), with
 * the defaults a program asking for a manager wants: offload everything (vDNN
 * policy all) compressed with ZVC over an unlimited link into RAM. The
 * result is a started MemoryManager to pass to train({ store }) (like
 * PyTorch's save_on_cpu); close() it when done.
 */
import { InvalidArgumentError } from '../errors.js';
import type { CodecId, CodecParams } from '../codec/codec.js';
import { checkCodecId, resolveParams } from '../codec/registry.js';
import { parseByteSize } from '../io/sizes.js';
import type { ModelSpec } from '../nn/spec.js';
import { parsePolicy, type PolicyName } from '../plan/index.js';
import { measureComputeRate, measureComputeRateSync } from './calibrate.js';
import type { MemoryConfig } from './config.js';
import { parseLink, type LinkModel } from './link.js';
import { MemoryManager } from './manager.js';

export interface MemoryOptions {
  /** Which saved activations go to host memory: 'all' (default), 'conv', 'dyn' or 'none'. */
  readonly policy?: PolicyName;
  /** Codec of the offloaded bytes: an id ('zvc', the default; 'none', 'rle', 'zlib') or an id with parameters. */
  readonly codec?: CodecId | { readonly id: CodecId; readonly params?: CodecParams };
  /** Peak device bytes allowed: a number of bytes or a size such as '512MiB'. */
  readonly budget?: number | string;
  /** The device-host link: a preset name ('pcie3', 'nvlink2', 'unlimited', 'paper-scaled', ...), a rate ('2.5GBps') or a model. */
  readonly link?: string | LinkModel;
  /** Where offloaded bytes live: 'ram' (default) or { dir } to spill to files under dir. */
  readonly hostStore?: 'ram' | { readonly dir: string };
  /** Layers the backward pass prefetches ahead (default 1). */
  readonly prefetchAhead?: number;
  /** Write a Chrome trace to this file when the manager closes. */
  readonly trace?: string;
}

const KEYS: readonly (keyof MemoryOptions)[] = [
  'policy',
  'codec',
  'budget',
  'link',
  'hostStore',
  'prefetchAhead',
  'trace',
];

function checkKeys(o: object): void {
  for (const k of Object.keys(o)) {
    if (!(KEYS as readonly string[]).includes(k)) {
      throw new InvalidArgumentError(`unknown memory option '${k}': use ${KEYS.join(', ')}`);
    }
  }
}

function codecOf(c: MemoryOptions['codec']): MemoryConfig['codec'] {
  if (c === undefined) return { id: 'zvc' };
  if (typeof c === 'string') {
    checkCodecId(c);
    return { id: c };
  }
  if (typeof c !== 'object' || c === null || typeof c.id !== 'string')
    throw new InvalidArgumentError('memory option codec: give a codec id or { id, params }');
  checkCodecId(c.id);
  for (const k of Object.keys(c))
    if (k !== 'id' && k !== 'params')
      throw new InvalidArgumentError(`memory option codec: unknown field '${k}' (use id, params)`);
  if (c.params === undefined) return { id: c.id };
  resolveParams(c.id, c.params);
  return { id: c.id, params: c.params };
}

function linkOf(l: MemoryOptions['link']): LinkModel {
  if (l === undefined) return parseLink('unlimited');
  if (typeof l === 'string') {
    return l.trim().toLowerCase() === 'paper-scaled'
      ? parseLink(l, measureComputeRateSync().flopsPerSecond)
      : parseLink(l);
  }
  if (
    typeof l !== 'object' ||
    l === null ||
    typeof l.name !== 'string' ||
    !(l.bytesPerSecond > 0) ||
    !(l.latencySeconds >= 0) ||
    !Number.isFinite(l.latencySeconds)
  ) {
    throw new InvalidArgumentError(
      'memory option link: give a link name or { name, bytesPerSecond > 0, latencySeconds >= 0 }',
    );
  }
  return l;
}

function budgetOf(b: MemoryOptions['budget']): number | undefined {
  if (b === undefined) return undefined;
  if (typeof b === 'string') return parseByteSize(b, 'memory option budget', 1);
  if (!Number.isSafeInteger(b) || b < 1)
    throw new InvalidArgumentError(
      `memory option budget: ${b} is not a whole number of bytes >= 1`,
    );
  return b;
}

function hostStoreOf(h: MemoryOptions['hostStore']): MemoryConfig['hostStore'] {
  if (h === undefined || h === 'ram') return { kind: 'ram' };
  if (typeof h === 'object' && h !== null && typeof h.dir === 'string' && h.dir !== '')
    return { kind: 'spill', dir: h.dir };
  throw new InvalidArgumentError("memory option hostStore: give 'ram' or { dir: 'path' }");
}

function prefetchOf(p: number | undefined): number {
  if (p === undefined) return 1;
  if (!Number.isInteger(p) || p < 0 || p > 1000)
    throw new InvalidArgumentError(
      `memory option prefetchAhead: ${p} is not a whole number from 0 to 1000`,
    );
  return p;
}

/** The MemoryConfig the options describe, checked. */
export function memoryConfig(o: MemoryOptions = {}): MemoryConfig {
  checkKeys(o);
  return {
    policy: parsePolicy(o.policy ?? 'all'),
    codec: codecOf(o.codec),
    budgetBytes: budgetOf(o.budget),
    link: linkOf(o.link),
    hostStore: hostStoreOf(o.hostStore),
    prefetchAhead: prefetchOf(o.prefetchAhead),
    tracePath: o.trace,
  };
}

/**
 * A started memory manager for `spec` at `batch` examples per step. Pass it
 * as train({ store }) or Executor's store; close() it when done (its
 * steps and trace stay readable).
 */
export async function createMemoryManager(
  spec: ModelSpec,
  batch: number,
  options: MemoryOptions = {},
): Promise<MemoryManager> {
  if (!Number.isSafeInteger(batch) || batch < 1)
    throw new InvalidArgumentError(`batch ${batch} is not a whole number >= 1`);
  // paper-scaled measures the compute rate, asynchronously here (webgpu has no synchronous readback).
  const link =
    typeof options.link === 'string' && options.link.trim().toLowerCase() === 'paper-scaled'
      ? parseLink(options.link, (await measureComputeRate()).flopsPerSecond)
      : options.link;
  return MemoryManager.create({ config: memoryConfig({ ...options, link }), spec, batch });
}
