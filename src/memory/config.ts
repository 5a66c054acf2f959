/** What the memory manager is told to do: the parsed form of the memory options. */
import type { CodecId, CodecParams } from '../codec/codec.js';
import type { LinkModel } from './link.js';
import type { PolicyName } from '../plan/index.js';
import type { HostStoreConfig } from './transfer-protocol.js';
import { LINK_PRESETS } from './link.js';

export interface MemoryConfig {
  readonly policy: PolicyName;
  readonly codec: { readonly id: CodecId; readonly params?: CodecParams };
  /** Peak device bytes allowed; undefined = no budget. */
  readonly budgetBytes?: number;
  readonly link: LinkModel;
  readonly hostStore: HostStoreConfig;
  /** How many layers (that have offloaded data) ahead the backward pass prefetches. */
  readonly prefetchAhead: number;
  /** Write a Chrome trace here when the manager closes. */
  readonly tracePath?: string;
  /**
   * Compress at the source where possible (wasm backend, codec zvc or none):
   * the container is written from the tensor's heap bytes straight into
   * host memory (source-codec.ts). false: stage raw bytes for the engine
   * thread's codec (what other codecs and backends do). Default true.
   */
  readonly atSource?: boolean;
}

export const DEFAULT_MEMORY_CONFIG: MemoryConfig = {
  policy: 'all',
  codec: { id: 'zvc' },
  link: LINK_PRESETS.unlimited,
  hostStore: { kind: 'ram' },
  prefetchAhead: 1,
};
