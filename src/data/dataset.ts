/**
 * A labelled image dataset held in host memory, ready to batch. Images are
 * float32 NHWC ([count, h, w, c] row-major), normalised (roughly zero mean,
 * unit variance); labels are class indices.
 */
export interface Split {
  readonly count: number;
  readonly images: Float32Array;
  readonly labels: Uint8Array;
}

export interface Dataset {
  /** e.g. "mnist", "fashion-mnist:/usr/share/datasets/fashion-mnist". */
  readonly name: string;
  /** [channels, height, width] of each image. */
  readonly shape: readonly [c: number, h: number, w: number];
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  readonly train: Split;
  readonly test: Split;
}
