/** The end-of-run table per reader, and the list of distinct findings. */
import type { ReaderStats } from './engine.js';
import type { FindingGroup } from './findings.js';

const MiB = 1024 * 1024;

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function statsTable(stats: readonly ReaderStats[]): string {
  const rows = stats.map((s) => [
    s.reader,
    String(s.inputs),
    String(s.ok),
    String(s.typed),
    String(s.findings),
    s.slowestMs.toFixed(1),
    (s.peakBytes / MiB).toFixed(1),
  ]);
  const sum = (f: (s: ReaderStats) => number) => String(stats.reduce((a, s) => a + f(s), 0));
  rows.push([
    'total',
    sum((s) => s.inputs),
    sum((s) => s.ok),
    sum((s) => s.typed),
    sum((s) => s.findings),
    Math.max(0, ...stats.map((s) => s.slowestMs)).toFixed(1),
    (Math.max(0, ...stats.map((s) => s.peakBytes)) / MiB).toFixed(1),
  ]);
  return table(
    ['reader', 'inputs', 'ok', 'typed errors', 'findings', 'slowest ms', 'peak MiB'],
    rows,
  );
}

/** Control characters escaped, so that one finding is one line. */
function oneLine(s: string): string {
  let out = '';
  for (const c of s) {
    const code = c.charCodeAt(0);
    out += code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : c;
  }
  return out;
}

export function findingsList(groups: Iterable<FindingGroup>): string {
  const lines: string[] = [];
  for (const g of [...groups].sort((a, b) => b.count - a.count)) {
    lines.push(
      `${g.reader}: ${g.why} x${g.count}: ${g.name}: ${oneLine(g.message.slice(0, 300))}` +
        (g.where ? `\n    at ${g.where}` : '') +
        (g.saved.length > 0 ? `\n    input: ${g.saved[0]}` : ''),
    );
  }
  return lines.join('\n');
}
