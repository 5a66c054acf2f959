/**
 * The small networks the tests share, written with the zoo's ModelBuilder
 * (src/nn/zoo/builder.ts) like the zoo itself. Each keeps the structure its
 * tests rely on: layer names, kinds and shapes.
 */
import type { ModelSpec } from '../../src/nn/spec.js';
import { ModelBuilder } from '../../src/nn/zoo/builder.js';

/** A small DAG using every layer kind on 2x8x8 inputs, for executor tests (fast on either backend). */
export function everyKindModel(numClasses = 3): ModelSpec {
  const b = new ModelBuilder([2, 8, 8]);
  const relu1 = b.relu('relu1', b.batchnorm('bn1', b.conv('conv1', 'data', 4, 3, { pad: 1 })));
  const pool1 = b.maxpool('pool1', relu1, 2, 2);
  const reluA = b.relu('relu_a', b.conv('conv_a', pool1, 4, 1));
  const reluB = b.relu('relu_b', b.conv('conv_b', pool1, 4, 3, { pad: 1, groups: 2 }));
  const cat = b.concat('cat', [reluA, reluB]);
  const norm = b.lrn('norm', cat, 3, 1e-2, 0.75, 1);
  const reluC = b.relu('relu_c', b.add('sum', [cat, b.conv('conv_c', norm, 8, 1)]));
  const flat = b.flatten('flat', b.avgpool('pool2', reluC, 2, 2));
  const features = b.concat('features', [flat, b.globalAvgPool('gap', reluC)]);
  const drop = b.dropout('drop', b.relu('relu_fc', b.dense('fc1', features, 16)), 0.3);
  return b.finish(b.dense('fc2', drop, numClasses), {
    name: 'tiny',
    description: 'every layer kind on 2x8x8 inputs',
    numClasses,
  });
}

/**
 * conv1 -> relu1 -> pool1 -> flat -> fc1 -> relu2 -> drop -> fc2 on 1x8x8:
 * every kind the study's recorder treats differently (ReLU, max pool, flatten, dropout).
 */
export function recorderModel(): ModelSpec {
  const b = new ModelBuilder([1, 8, 8]);
  const pool1 = b.maxpool(
    'pool1',
    b.relu('relu1', b.conv('conv1', 'data', 4, 3, { pad: 1 })),
    2,
    2,
  );
  const relu2 = b.relu('relu2', b.dense('fc1', b.flatten('flat', pool1), 16));
  return b.finish(b.dense('fc2', b.dropout('drop', relu2, 0.5), 3), {
    name: 'tiny',
    description: 'test network',
    numClasses: 3,
  });
}

/** data[1,32,32] -> c1 conv(8) -> r1 -> c2 conv(8) -> r2 -> flatten f -> d dense(10) -> loss. */
export function chainModel(): ModelSpec {
  const b = new ModelBuilder([1, 32, 32]);
  const r2 = b.relu(
    'r2',
    b.conv('c2', b.relu('r1', b.conv('c1', 'data', 8, 3, { pad: 1 })), 8, 3, { pad: 1 }),
  );
  return b.finish(b.dense('d', b.flatten('f', r2), 10), {
    name: 'chain',
    description: 'test chain',
    numClasses: 10,
  });
}

/** data[64,16,16] -> c conv(64, 3x3) -> r -> flatten f -> d dense(10) -> loss: a compute-bound conv. */
export function wideModel(): ModelSpec {
  const b = new ModelBuilder([64, 16, 16]);
  const r = b.relu('r', b.conv('c', 'data', 64, 3, { pad: 1 }));
  return b.finish(b.dense('d', b.flatten('f', r), 10), {
    name: 'wide',
    description: 'test conv',
    numClasses: 10,
  });
}
