/** What test/golden/plan.json pins: computed here, compared in golden.test.ts. */
import { initBackend } from '../../src/nn/backend.js';
import { getModel } from '../../src/nn/zoo/index.js';
import { ModelPlan } from '../../src/plan/index.js';
import { MemoryManager } from '../../src/memory/manager.js';
import { DEFAULT_MEMORY_CONFIG } from '../../src/memory/config.js';
import { runSteps } from '../memory/train-helper.js';

export const SMALL = [
  'alexnet-small',
  'overfeat-small',
  'nin-small',
  'vgg16-small',
  'squeezenet-small',
  'googlenet-small',
  'resnet18-small',
];
export const FULL = ['alexnet', 'overfeat', 'nin', 'vgg16', 'squeezenet', 'googlenet', 'resnet18'];

export interface GoldenModel {
  groups: { key: string; elements: number; savers: number[]; convInput: boolean }[];
  peaks: Record<'none' | 'conv' | 'all', { bytes: number; layer: string; phase: string }>;
  hashes?: { oracle: string; allZvc: string };
}

export async function planFacts(name: string, batch: number): Promise<GoldenModel> {
  const plan = ModelPlan.of(getModel(name));
  const groups = plan.deviceBuffers;
  const peaks = {} as GoldenModel['peaks'];
  for (const p of ['none', 'conv', 'all'] as const) {
    const e = plan.peak(plan.offloadSet(p), batch, 0);
    // The tensors' peak: what this file pinned before the estimate added kernel temporaries and a margin.
    peaks[p] = { bytes: e.tensorBytes, layer: e.tensorLayer, phase: e.tensorPhase };
  }
  return {
    groups: groups.map((g) => ({
      key: g.key,
      elements: g.elements,
      savers: [...g.savers],
      convInput: g.convInput,
    })),
    peaks,
  };
}

export async function hashes(name: string): Promise<{ oracle: string; allZvc: string }> {
  const spec = getModel(name);
  const oracle = await runSteps(spec, { batch: 4, steps: 2, seed: 11 });
  const m = await MemoryManager.create({
    config: { ...DEFAULT_MEMORY_CONFIG, policy: 'all', codec: { id: 'zvc' } },
    spec,
    batch: 4,
  });
  try {
    const r = await runSteps(spec, { batch: 4, steps: 2, seed: 11, store: m });
    return { oracle: oracle.hash, allZvc: r.hash };
  } finally {
    await m.close();
  }
}

export async function computeGolden(): Promise<Record<string, GoldenModel>> {
  await initBackend('wasm');
  const out: Record<string, GoldenModel> = {};
  for (const name of FULL) out[name] = await planFacts(name, 32);
  for (const name of SMALL)
    out[name] = { ...(await planFacts(name, 16)), hashes: await hashes(name) };
  return out;
}
