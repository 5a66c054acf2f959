/** The memory manager's part of a training summary, as `cdma train` prints it. */
import { formatBandwidth } from './link.js';
import type { MemoryManager } from './manager.js';
import { formatBytes } from '../io/sizes.js';
import { median } from './stats.js';
import { FRAGMENTATION_MARGIN } from '../plan/index.js';

export function formatMemorySummary(m: MemoryManager): string {
  const c = m.config;
  const steps = m.steps.length > 2 ? m.steps.slice(1) : m.steps;
  const raw = steps.reduce((a, s) => a + s.offloadedRawBytes, 0);
  const link = steps.reduce((a, s) => a + s.offloadedLinkBytes, 0);
  const el = steps.reduce((a, s) => a + s.offloadedElements, 0);
  const nz = steps.reduce((a, s) => a + s.offloadedNonZero, 0);
  const med = (f: (s: (typeof steps)[number]) => number) =>
    steps.length ? median(steps.map(f)) : 0;
  const rows: [string, string][] = [
    [
      'memory',
      `policy ${m.planName}, codec ${c.codec.id}, link ${c.link.name} (${formatBandwidth(c.link)}), ` +
        `host store ${c.hostStore.kind === 'ram' ? 'RAM' : c.hostStore.dir}, prefetch ${c.prefetchAhead} ahead` +
        (c.budgetBytes !== undefined ? `, budget ${formatBytes(c.budgetBytes)}` : ''),
    ],
    [
      'offloaded/step',
      `${formatBytes(med((s) => s.offloadedRawBytes))} -> ${formatBytes(med((s) => s.offloadedLinkBytes))} over the link` +
        (link > 0
          ? ` (ratio ${(raw / link).toFixed(2)}x, density ${((100 * nz) / Math.max(1, el)).toFixed(1)}%)`
          : ''),
    ],
    [
      'time/step',
      `${med((s) => s.stepMs).toFixed(0)} ms forward+backward: compute ${med((s) => s.computeMs).toFixed(0)} ms, ` +
        `waiting for transfers ${med((s) => s.stallMs).toFixed(0)} ms, engine busy ${med((s) => s.transferMs).toFixed(0)} ms (medians)`,
    ],
  ];
  if (m.budgetPlan) {
    const e = m.budgetPlan.estimates;
    rows.push([
      'device plan',
      `estimated peak: none ${formatBytes(e.none.peakBytes)}, conv ${formatBytes(e.conv.peakBytes)}, all ${formatBytes(e.all.peakBytes)} ` +
        `(tensors and kernel temporaries; the heap keeps ${Math.round(FRAGMENTATION_MARGIN * 100)}% more free for its fragmentation)`,
    ]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}
