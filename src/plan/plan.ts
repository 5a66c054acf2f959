/**
 * The model plan: everything cdma derives from a ModelSpec before touching a
 * tensor, computed once and read by the executor, the memory manager (budget,
 * policies, dyn, prefetch) and the performance model. See
 * docs/ARCHITECTURE.md.
 */
import { InvalidArgumentError } from '../errors.js';
import { analyzeModel, type ModelAnalysis } from '../nn/shapes.js';
import type { ModelSpec } from '../nn/spec.js';
import { bufferKey, savedBuffers, type SaveRole, type SavedBuffer } from './buffers.js';
import { buildGraph, type Graph } from './graph.js';
import { executorPeak, type PeakEstimate } from './peak.js';
import { policyBuffers, type PolicyName } from './policy.js';

export class ModelPlan {
  readonly spec: ModelSpec;
  /** Shapes, parameters and FLOPs per layer. */
  readonly analysis: ModelAnalysis;
  readonly graph: Graph;
  /** Every distinct saved buffer, in owner order (masks after their layer's activation). */
  readonly buffers: readonly SavedBuffer[];
  /**
   * The buffers the memory manager can move: those a step really saves (a
   * saver runs backward), less the model input (the trainer's batch, which
   * the whole step holds, so moving it would free nothing).
   */
  readonly deviceBuffers: readonly SavedBuffer[];
  readonly #byKey: ReadonlyMap<string, SavedBuffer>;
  readonly #deviceByKey: ReadonlyMap<string, SavedBuffer>;
  readonly #savedPerExample: number;

  private constructor(spec: ModelSpec, analysis: ModelAnalysis) {
    this.spec = spec;
    this.analysis = analysis;
    this.graph = buildGraph(spec);
    this.buffers = savedBuffers(analysis, this.graph);
    this.deviceBuffers = this.buffers.filter((b) => !b.modelInput && b.savers.length > 0);
    this.#byKey = new Map(this.buffers.map((b) => [b.key, b]));
    this.#deviceByKey = new Map(this.deviceBuffers.map((b) => [b.key, b]));
    this.#savedPerExample = this.buffers.reduce((s, b) => s + b.elements, 0);
  }

  /** Validates the spec (analyzeModel's errors) and plans it. */
  static of(spec: ModelSpec): ModelPlan {
    return new ModelPlan(spec, analyzeModel(spec));
  }

  /** Plans an already analysed spec. */
  static fromAnalysis(analysis: ModelAnalysis): ModelPlan {
    return new ModelPlan(analysis.spec, analysis);
  }

  get layerCount(): number {
    return this.spec.layers.length;
  }

  /** The buffer key of what layer `layerIndex` saves in `role` (its input number `input` for 'input'). */
  keyOf(layerIndex: number, role: SaveRole, input = 0): string {
    if (!Number.isInteger(layerIndex) || layerIndex < 0 || layerIndex >= this.layerCount) {
      throw new InvalidArgumentError(`no layer ${layerIndex} in model ${this.spec.name}`);
    }
    const inputs = this.graph.inputs[layerIndex].length;
    if (role === 'input' && !(Number.isInteger(input) && input >= 0 && input < inputs)) {
      throw new InvalidArgumentError(
        `layer ${this.spec.layers[layerIndex].name} has no input ${input}`,
      );
    }
    return bufferKey(this.analysis, this.graph, layerIndex, role, input);
  }

  buffer(key: string): SavedBuffer | undefined {
    return this.#byKey.get(key);
  }
  deviceBuffer(key: string): SavedBuffer | undefined {
    return this.#deviceByKey.get(key);
  }

  /** Bytes of all distinct saved buffers for a batch (the model input included). */
  savedBytes(batch: number, bytesPerElement = 4): number {
    if (!Number.isSafeInteger(batch) || batch <= 0) {
      throw new InvalidArgumentError(`batch must be a positive integer, got ${batch}`);
    }
    if (!Number.isSafeInteger(bytesPerElement) || bytesPerElement <= 0) {
      throw new InvalidArgumentError(
        `bytesPerElement must be a positive integer, got ${bytesPerElement}`,
      );
    }
    return this.#savedPerExample * batch * bytesPerElement;
  }

  /** The device buffers a static policy offloads, as keys. */
  offloadSet(policy: Exclude<PolicyName, 'dyn'>): Set<string> {
    return new Set(policyBuffers(policy, this.deviceBuffers).map((b) => b.key));
  }

  /** The executor's peak device bytes at `batch` when `offloaded` leave the device, on top of `baseBytes`. */
  peak(offloaded: ReadonlySet<string>, batch: number, baseBytes = 0): PeakEstimate {
    return executorPeak(this, offloaded, batch, baseBytes);
  }
}
