/**
 * The link between device and host memory (PCIe, NVLink...), as a bandwidth
 * and a per-transfer latency. The transfer engine enforces it by real
 * waiting: a transfer of n bytes takes latency + n / bandwidth seconds of
 * wall-clock time, so a slow link shows up in training time.
 *
 * `paper-scaled` puts this machine in the regime the cDMA paper studies: the
 * bandwidth is chosen so that compute rate / link bandwidth equals a Titan Xp
 * (about 12 TFLOP/s fp32) against PCIe gen3 (12.8 GB/s achieved).
 */
import { InvalidArgumentError } from '../errors.js';
import { findLink, LINK_ALIASES, listLinks, type LinkSpec } from '../sim/links.js';

export interface LinkModel {
  /** Canonical name, e.g. "pcie3", "2.5GBps", "paper-scaled". */
  readonly name: string;
  /** Bytes per second; Infinity for an unlimited link. */
  readonly bytesPerSecond: number;
  /** Seconds added to every transfer. */
  readonly latencySeconds: number;
  /** For paper-scaled: the compute rate (FLOP/s) it was derived from. */
  readonly computeFlopsPerSecond?: number;
}

/** A preset of the link table (src/sim/links.ts) at its effective rate and latency. */
function presetModel(spec: LinkSpec): LinkModel {
  return {
    name: spec.id,
    bytesPerSecond: Math.round(spec.effectiveGBs * 1e9),
    latencySeconds: spec.latencySeconds,
  };
}

const UNLIMITED: LinkModel = { name: 'unlimited', bytesPerSecond: Infinity, latencySeconds: 0 };

/**
 * Named links: `unlimited` and every preset of the one link table
 * (src/sim/links.ts, with sources), at its effective (achieved) bandwidth;
 * aliases (nvlink = nvlink1) resolve through parseLink.
 */
export const LINK_PRESETS: Readonly<Record<string, LinkModel>> = Object.fromEntries([
  ['unlimited', UNLIMITED],
  ...listLinks().map((l) => [l.id, presetModel(l)] as const),
]);

/** The paper's GPU and link: Titan Xp fp32 peak and PCIe gen3 achieved bandwidth. */
export const PAPER_GPU_FLOPS = 12e12;
export const PAPER_LINK_BYTES_PER_SECOND = LINK_PRESETS.pcie3.bytesPerSecond;

export const LINK_CHOICES = [
  ...Object.keys(LINK_PRESETS),
  ...Object.keys(LINK_ALIASES),
  '<N>GBps',
  '<N>MBps',
  'paper-scaled',
];

/** The link that gives `computeFlopsPerSecond` the paper's compute-to-bandwidth ratio. */
export function paperScaledLink(computeFlopsPerSecond: number): LinkModel {
  if (!(Number.isFinite(computeFlopsPerSecond) && computeFlopsPerSecond > 0)) {
    throw new InvalidArgumentError(
      `paper-scaled link needs a positive compute rate, got ${computeFlopsPerSecond}`,
    );
  }
  const scale = computeFlopsPerSecond / PAPER_GPU_FLOPS;
  return {
    name: 'paper-scaled',
    bytesPerSecond: PAPER_LINK_BYTES_PER_SECOND * scale,
    latencySeconds: LINK_PRESETS.pcie3.latencySeconds,
    computeFlopsPerSecond,
  };
}

/**
 * Parses `--link`. `paper-scaled` needs the machine's measured compute rate
 * (see calibrate.ts); callers that have none get an InvalidArgumentError.
 */
export function parseLink(text: string, computeFlopsPerSecond?: number): LinkModel {
  const s = text.trim();
  if (s.toLowerCase() === 'unlimited') return UNLIMITED;
  const spec = findLink(s);
  if (spec) return LINK_PRESETS[spec.id];
  if (s.toLowerCase() === 'paper-scaled') {
    if (computeFlopsPerSecond === undefined) {
      throw new InvalidArgumentError(
        'link paper-scaled needs the measured compute rate of this machine',
      );
    }
    return paperScaledLink(computeFlopsPerSecond);
  }
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*([GMgm])B(?:ps|\/s)$/.exec(s);
  if (m) {
    const value = Number(m[1]) * (m[2].toUpperCase() === 'G' ? 1e9 : 1e6);
    if (value > 0 && Number.isFinite(value)) {
      return { name: `${m[1]}${m[2].toUpperCase()}Bps`, bytesPerSecond: value, latencySeconds: 0 };
    }
  }
  throw new InvalidArgumentError(
    `unknown link '${text}': use one of ${LINK_CHOICES.join(', ')} (e.g. 2.5GBps)`,
  );
}

/** Wall-clock seconds that `bytes` take on the link. */
export function transferSeconds(link: LinkModel, bytes: number): number {
  if (link.bytesPerSecond === Infinity) return link.latencySeconds;
  return link.latencySeconds + bytes / link.bytesPerSecond;
}

/** e.g. "12.8 GB/s", "21.3 MB/s", "unlimited". */
export function formatBandwidth(link: LinkModel): string {
  const b = link.bytesPerSecond;
  if (b === Infinity) return 'unlimited';
  if (b >= 1e9) return `${(b / 1e9).toPrecision(3)} GB/s`;
  if (b >= 1e6) return `${(b / 1e6).toPrecision(3)} MB/s`;
  return `${(b / 1e3).toPrecision(3)} kB/s`;
}
