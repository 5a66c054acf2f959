/** How each zoo network describes itself to the zoo index. */
import type { ModelSpec } from '../spec.js';
import { ModelBuilder, type InputShape } from './builder.js';

export interface ZooEntry {
  /** Zoo name, e.g. "alexnet" or "alexnet-small". */
  readonly name: string;
  readonly description: string;
  /** Default per-example input [C, H, W]. */
  readonly inputShape: InputShape;
  /** Default number of classes. */
  readonly numClasses: number;
  build(inputShape: InputShape, numClasses: number): ModelSpec;
}

/** ImageNet defaults of the full-size networks. */
export const IMAGENET_CLASSES = 1000;
/** Defaults of the -small variants: the embedded MNIST digits. */
export const SMALL_INPUT: InputShape = [1, 28, 28];
export const SMALL_CLASSES = 10;

/**
 * A zoo entry whose `body` adds the layers after the input ('data') and
 * returns the name of the logits layer; the softmax cross-entropy sink
 * ('loss') is appended here.
 */
export function defineModel(
  meta: Omit<ZooEntry, 'build'>,
  body: (b: ModelBuilder, numClasses: number) => string,
): ZooEntry {
  return {
    ...meta,
    build(inputShape: InputShape, numClasses: number): ModelSpec {
      const b = new ModelBuilder(inputShape);
      return b.finish(body(b, numClasses), {
        name: meta.name,
        description: meta.description,
        numClasses,
      });
    },
  };
}
