/** Text and JSON renderings of one simulation result (cdma simulate). */
import type { ConvAlgo } from './conv-algos.js';
import type { DynResult } from './dyn.js';
import type { LayerTime } from './roofline.js';
import type { SimResult, SchemeResult } from './simulate.js';

const GiB = 1024 ** 3;
const ms = (s: number) => (s * 1e3).toFixed(2);
const gib = (b: number) => (b / GiB).toFixed(2);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const MB = (b: number) => (b / 1e6).toFixed(1);

const ALGO_SHORT: Readonly<Record<ConvAlgo, string>> = {
  'implicit-gemm': 'igemm',
  gemm: 'gemm',
  fft: 'fft',
  'fft-tiling': 'fft32',
  winograd: 'wino',
};

/** A convolution's algorithms, forward/backward-data/backward-filter ('-' where a pass does not run). */
function algoCell(t: LayerTime): string {
  if (!t.algos) return '-';
  const a = t.algos;
  return [a.forward, a.backwardData, a.backwardFilter]
    .map((x) => (x === null ? '-' : ALGO_SHORT[x]))
    .join('/');
}

function pad(rows: readonly (readonly string[])[]): string {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) => r.map((v, c) => (c <= 1 ? v.padEnd(w[c]) : v.padStart(w[c]))).join('  '))
    .join('\n');
}

/** Per-layer table: compute, vDNN and cDMA stalls, bytes moved, ratio and binding limit. */
export function layerTable(r: SimResult): string {
  const byOffload = new Map<number, string[]>();
  for (const t of r.offloaded) {
    const list = byOffload.get(t.offloadLayer) ?? [];
    list.push(t.key);
    byOffload.set(t.offloadLayer, list);
  }
  const rows: string[][] = [
    [
      'layer',
      'kind',
      'algo f/bd/bf',
      'ws MB',
      'fwd ms',
      'bwd ms',
      'vDNN stall ms',
      'cDMA stall ms',
      'moved MB',
      'ratio',
      'limit',
    ],
  ];
  r.times.forEach((t, i) => {
    const v = r.vdnn.schedule.steps[i];
    const c = r.cdma.schedule.steps[i];
    const moved = v.offloadBytes + v.prefetchBytes;
    const ratio = moved > 0 ? moved / c.wireBytes : 0;
    const lim = [c.forwardLimit, c.backwardLimit].filter((x) => x !== null).join('/');
    const ws = Math.max(t.forwardWorkspace, t.backwardWorkspace);
    rows.push([
      t.name,
      t.kind,
      algoCell(t),
      ws <= 0 ? '-' : ws < 0.05e6 ? '<0.1' : MB(ws),
      ms(t.forward),
      ms(t.backward),
      ms(v.forwardStall + v.backwardStall),
      ms(c.forwardStall + c.backwardStall),
      moved > 0 ? (moved / 1e6).toFixed(1) : '-',
      moved > 0 ? ratio.toFixed(2) : '-',
      lim || '-',
    ]);
  });
  return pad(rows);
}

function schemeLine(s: SchemeResult, capacity: number): string[] {
  const st = s.schedule;
  return [
    s.scheme === 'vdnn' ? 'vDNN' : s.scheme === 'cdma' ? 'cDMA' : 'oracle',
    ms(st.iterationTime),
    ms(st.computeTime),
    ms(st.forwardStall),
    ms(st.backwardStall),
    s.normalized.toFixed(3),
    gib(s.memory.peakBytes),
    s.memory.peakBytes <= capacity ? 'yes' : 'no',
    s.binding ?? '-',
  ];
}

export function summaryText(r: SimResult): string {
  const cap = r.gpu.memoryBytes;
  const head =
    `${r.model} batch ${r.batch} on ${r.gpu.name} over ${r.link.name} (${r.link.effectiveGBs.toFixed(1)} GB/s ` +
    `effective), policy ${r.policy}, codec ${r.codec}, ${r.dtype}; cDMA at the ` +
    `${r.engine.placement === 'mc' ? 'memory controllers' : 'DMA engine'} (${r.engine.units} units); ` +
    `${r.algo}-optimal convolutions (${r.library.name}; the oracle's performance-optimal)`;
  const table = pad([
    [
      'scheme',
      '',
      'iter ms',
      'compute ms',
      'fwd stall',
      'bwd stall',
      'perf',
      'peak GiB',
      'fits',
      'limit',
    ],
    ...[r.oracle, r.vdnn, r.cdma].map((s) => {
      const l = schemeLine(s, cap);
      return [l[0], '', ...l.slice(1)];
    }),
  ]);
  const w = r.networkWide;
  const v = r.vdnn.memory;
  const lines = [
    head,
    table,
    `GPU memory ${gib(cap)} GiB; network-wide allocation without reuse would need ${gib(r.networkWideBytes)} GiB ` +
      `(feature maps ${gib(w.featureMaps)}, gradient maps ${gib(w.gradientMaps)}, workspace ${gib(w.workspace)}, ` +
      `weights, gradients and optimizer state ${gib(w.params)}).`,
    `vDNN's memory pool peaks at ${gib(v.activationPeakBytes)} GiB (${v.peakAt}, workspace ${gib(v.workspaceAtPeak)}) ` +
      `beside ${gib(v.staticBytes)} GiB of weights, gradients and optimizer state.`,
    `Offloaded per iteration: ${(r.vdnn.schedule.rawBytes / 2 / 1e9).toFixed(2)} GB each way, ` +
      `${r.offloaded.length} tensors; cDMA average ratio ${r.averageRatio.toFixed(2)}x.`,
    `cDMA over vDNN: ${r.improvement >= 0 ? '+' : ''}${pct(r.improvement)}; ` +
      `vDNN loses ${pct(1 - r.vdnn.normalized)} and cDMA ${pct(1 - r.cdma.normalized)} against the oracle.`,
  ];
  if (r.missingRatios.length > 0) {
    lines.push(
      `No ratio for ${r.missingRatios.length} tensor(s) (moved uncompressed): ${r.missingRatios.join(', ')}`,
    );
  }
  return lines.join('\n');
}

/** A plain-data rendering for --json. */
export function resultJson(r: SimResult): unknown {
  const scheme = (s: SchemeResult) => ({
    iterationMs: s.schedule.iterationTime * 1e3,
    computeMs: s.schedule.computeTime * 1e3,
    forwardStallMs: s.schedule.forwardStall * 1e3,
    backwardStallMs: s.schedule.backwardStall * 1e3,
    normalizedPerformance: s.normalized,
    peakMemoryBytes: s.memory.peakBytes,
    poolPeakBytes: s.memory.activationPeakBytes,
    workspaceAtPeakBytes: s.memory.workspaceAtPeak,
    staticBytes: s.memory.staticBytes,
    peakAt: s.memory.peakAt,
    fits: s.fits,
    bytesMoved: s.schedule.rawBytes,
    bytesOnLink: s.schedule.wireBytes,
    limitSeconds: s.schedule.limitSeconds,
    binding: s.binding,
  });
  return {
    model: r.model,
    batch: r.batch,
    gpu: r.gpu.id,
    link: r.link.id,
    policy: r.policy,
    codec: r.codec,
    dtype: r.dtype,
    engine: r.engine,
    algo: r.algo,
    library: r.library.id,
    memoryBytes: r.gpu.memoryBytes,
    networkWideBytes: r.networkWideBytes,
    networkWide: r.networkWide,
    averageRatio: r.averageRatio,
    improvement: r.improvement,
    missingRatios: r.missingRatios,
    oracle: scheme(r.oracle),
    vdnn: scheme(r.vdnn),
    cdma: scheme(r.cdma),
    tensors: r.tensors.map((t) => ({
      key: t.key,
      elementsPerExample: t.elements,
      savedBy: t.savedBy.map((i) => r.times[i].name),
      offloaded: r.offloaded.includes(t),
      ...r.ratios.get(t.key),
    })),
    layers: r.times.map((t, i) => {
      const v = r.vdnn.schedule.steps[i];
      const c = r.cdma.schedule.steps[i];
      return {
        name: t.name,
        kind: t.kind,
        forwardMs: t.forward * 1e3,
        backwardMs: t.backward * 1e3,
        forwardBound: t.forwardBound,
        backwardBound: t.backwardBound,
        algos: t.algos,
        forwardWorkspaceBytes: t.forwardWorkspace,
        backwardWorkspaceBytes: t.backwardWorkspace,
        vdnnForwardStallMs: v.forwardStall * 1e3,
        vdnnBackwardStallMs: v.backwardStall * 1e3,
        cdmaForwardStallMs: c.forwardStall * 1e3,
        cdmaBackwardStallMs: c.backwardStall * 1e3,
        offloadBytes: v.offloadBytes,
        prefetchBytes: v.prefetchBytes,
        cdmaLinkBytes: c.wireBytes,
        cdmaForwardLimit: c.forwardLimit,
        cdmaBackwardLimit: c.backwardLimit,
      };
    }),
  };
}

/** vDNN_dyn's trials, in the order tried, and the one it keeps. */
export function dynText(d: DynResult): string {
  const rows: string[][] = [['configuration', 'iter ms', 'perf', 'peak GiB', 'fits', 'chosen']];
  for (const t of d.trials) {
    const v = t.result.vdnn;
    rows.push([
      t.label,
      ms(v.schedule.iterationTime),
      v.normalized.toFixed(3),
      gib(v.memory.peakBytes),
      t.fits ? 'yes' : 'no',
      t === d.chosen ? '<-' : '',
    ]);
  }
  const verdict = d.chosen
    ? `vDNN_dyn keeps ${d.chosen.label}: ${pct(d.chosen.result.vdnn.normalized)} of the oracle's performance.`
    : 'vDNN_dyn: not even vDNN_all with memory-optimal convolutions fits; the network cannot be trained on this GPU.';
  return [pad(rows), verdict].join('\n');
}

/** --json for --policy dyn: the trials and the chosen configuration's full result. */
export function dynJson(d: DynResult): unknown {
  return {
    dyn: {
      chosen: d.chosen?.label ?? null,
      trials: d.trials.map((t) => ({
        label: t.label,
        policy: t.policy,
        algo: t.algo,
        memoryOptimalLayers: t.memoryOptimalLayers,
        fits: t.fits,
        iterationMs: t.result.vdnn.schedule.iterationTime * 1e3,
        normalizedPerformance: t.result.vdnn.normalized,
        peakMemoryBytes: t.result.vdnn.memory.peakBytes,
        poolPeakBytes: t.result.vdnn.memory.activationPeakBytes,
      })),
    },
    result: d.chosen ? resultJson(d.chosen.result) : null,
  };
}
