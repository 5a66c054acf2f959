/**
 * TensorFlow.js builds a Layers model's weights from its topology before it
 * sees the weight shards, running each layer's initializer on shapes the
 * topology alone decides: a forged model.json could make it allocate any
 * amount. Before a topology reaches tfjs, every `*_initializer` in it is
 * replaced by a bounded one that checks each weight's shape (finite
 * non-negative integers) against a budget (the elements the weights
 * manifest declares, or the weights limit for a model without weights) and
 * only then allocates zeros; the real values are set from the shards (or
 * the seed) right after. Serialised again, the initializer reads as the
 * original, so a model saved later carries its own initializers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InputFileError } from '../errors.js';

const CLASS = 'CdmaBoundedInit';

interface Budget {
  readonly path: string;
  left: number;
}

const budgets = new Map<number, Budget>();
let nextBudget = 1;

interface BoundedConfig {
  /** The original initializer, as written in model.json (or null when the layer had none). */
  original?: { className?: string; config?: tf.serialization.ConfigDict } | null;
  budget?: number;
}

class BoundedInit extends tf.serialization.Serializable {
  static className = CLASS;
  readonly #original: BoundedConfig['original'];
  readonly #budget: number;

  constructor(config: BoundedConfig) {
    super();
    this.#original = config.original ?? null;
    this.#budget = config.budget ?? 0;
  }

  apply(shape: number[], dtype?: tf.DataType): tf.Tensor {
    take(budgets.get(this.#budget), shape);
    return tf.zeros(shape, dtype);
  }

  override getClassName(): string {
    return this.#original?.className ?? 'Zeros';
  }

  getConfig(): tf.serialization.ConfigDict {
    return this.#original?.config ?? {};
  }
}
tf.serialization.registerClass(BoundedInit);

/** Checks `shape` and takes its elements from budget `b`; throws InputFileError when it cannot. */
function take(b: Budget | undefined, shape: readonly number[]): void {
  const where = b?.path ?? 'model.json';
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new InputFileError(
        `${where}: a layer's weight has shape [${shape.join(', ')}]; the topology is corrupt`,
      );
    }
    n *= d;
  }
  if (b === undefined || n > b.left) {
    throw new InputFileError(
      `${where}: the topology's layers need more weights than the model declares (a weight of shape [${shape.join(', ')}]); the topology is corrupt or does not belong to these weights`,
    );
  }
  b.left -= n;
}

/**
 * Loading with weights, tfjs builds every weight with its 'zeros'
 * initializer instead of the topology's ("fast weight init"): this one
 * replaces tfjs's Zeros in the registry and takes from the budget of the
 * model being loaded (the one readModelFile bounded last, until the
 * current task ends; tfjs builds synchronously right after load()).
 */
class BudgetedZeros extends tf.serialization.Serializable {
  static className = 'Zeros';

  apply(shape: number[], dtype?: tf.DataType): tf.Tensor {
    if (active !== undefined) take(budgets.get(active), shape);
    return tf.zeros(shape, dtype);
  }

  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}
tf.serialization.registerClass(BudgetedZeros);

let active: number | undefined;

/**
 * Ends the load boundTopology prepared: models built in code afterwards (in
 * the same turn of the event loop, as tests and the exporter do) draw from no
 * budget.
 */
export function endBoundedLoad(): void {
  active = undefined;
}

/**
 * A copy of `topology` whose initializers allocate at most `maxElements`
 * weight elements in all, for the model.json at `path`. The topology's
 * nesting was bounded when it was read (readJsonBounded).
 */
export function boundTopology(topology: unknown, path: string, maxElements: number): unknown {
  const id = nextBudget++;
  budgets.set(id, { path, left: maxElements });
  active = id;
  setImmediate(() => {
    if (active === id) active = undefined;
    budgets.delete(id);
  });
  const bounded = (original: unknown) => ({
    class_name: CLASS,
    config: { original: original ?? null, budget: id },
  });
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v !== 'object' || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      out[k] = k.endsWith('_initializer') ? bounded(x) : walk(x);
    }
    // A layer with weights whose initializer key is left out would fall back
    // to an unbounded default: bound the default too (and keep its name).
    const defaults = typeof out.class_name === 'string' ? DEFAULTS[out.class_name] : undefined;
    const config = out.config;
    if (defaults !== undefined && typeof config === 'object' && config !== null) {
      const c = config as Record<string, unknown>;
      for (const [k, className] of Object.entries(defaults)) {
        if (!(k in c)) c[k] = bounded({ class_name: className, config: {} });
      }
    }
    return out;
  };
  return walk(topology);
}

const KERNEL = { kernel_initializer: 'GlorotUniform', bias_initializer: 'Zeros' };
const RECURRENT = { ...KERNEL, recurrent_initializer: 'Orthogonal' };
/** tfjs's default initializers of the layer classes that have weights. */
const DEFAULTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  Dense: KERNEL,
  Conv1D: KERNEL,
  Conv2D: KERNEL,
  Conv3D: KERNEL,
  Conv2DTranspose: KERNEL,
  Conv3DTranspose: KERNEL,
  DepthwiseConv2D: { depthwise_initializer: 'GlorotUniform', bias_initializer: 'Zeros' },
  SeparableConv2D: {
    depthwise_initializer: 'GlorotUniform',
    pointwise_initializer: 'GlorotUniform',
    bias_initializer: 'Zeros',
  },
  BatchNormalization: {
    beta_initializer: 'Zeros',
    gamma_initializer: 'Ones',
    moving_mean_initializer: 'Zeros',
    moving_variance_initializer: 'Ones',
  },
  LayerNormalization: { beta_initializer: 'Zeros', gamma_initializer: 'Ones' },
  Embedding: { embeddings_initializer: 'RandomUniform' },
  PReLU: { alpha_initializer: 'Zeros' },
  SimpleRNN: RECURRENT,
  GRU: RECURRENT,
  LSTM: RECURRENT,
  SimpleRNNCell: RECURRENT,
  GRUCell: RECURRENT,
  LSTMCell: RECURRENT,
  ConvLSTM2D: RECURRENT,
};
