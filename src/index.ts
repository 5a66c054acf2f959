/**
 * Public library API of cdma (docs/API.md). One entry for a program that
 * trains under a memory budget, measures its activations or predicts a GPU:
 *
 * - models: the zoo, hand-built ModelSpecs, imported TensorFlow.js Layers models;
 * - data: datasets as the CLI reads them;
 * - training: the trainer and the layer-wise executor with its optimisers;
 * - memory: the vDNN/cDMA memory manager, its options, and the SavedTensorStore
 *   seam for stores of your own;
 * - study: the activation recorder;
 * - simulator: GPU and link tables and the performance model;
 * - codecs: everything of `cdma/codecs` (which loads without TensorFlow.js).
 */
export * from './errors.js';

// Codecs (everything of `cdma/codecs`) and .npy I/O.
export * from './codec/index.js';
export { parseNpy, encodeNpy, npyHeader, type NpyArray, type NpyDType } from './io/npy.js';
export { parseByteSize, formatBytes } from './io/sizes.js';

// Backend.
export { initBackend, BACKEND_NAMES, type BackendName } from './nn/backend.js';

// Models.
export { getModel, listModels, type ZooModelInfo, type GetModelOptions } from './nn/zoo/index.js';
export type * from './nn/spec.js';
export { analyzeModel } from './nn/shapes.js';
export {
  ModelBuilder,
  type ConvOptions,
  type PoolOptions,
  type InputShape,
} from './nn/zoo/builder.js';
export { loadImportedModel } from './tfjs/load.js';
export type { ImportedModel, ImportOptions } from './tfjs/import.js';
export { saveImportedModel } from './tfjs/export.js';

// Data.
export { loadDataset, prepareDataset, type LoadDatasetOptions } from './data/prepare.js';
export type { Dataset, Split } from './data/dataset.js';

// Training.
export {
  train,
  type TrainOptions,
  type TrainSummary,
  type StepRecord,
  type EpochRecord,
} from './train/trainer.js';
export { Executor, type ExecutorOptions, type StepResult } from './nn/executor.js';
export { Sgd } from './train/sgd.js';
export { Adam } from './train/adam.js';

// Memory: the saved-tensor seam and the vDNN/cDMA manager.
export type { SavedTensorStore, SavedHandle, SavedTensorInfo } from './nn/store.js';
export { KeepStore } from './nn/keep-store.js';
export { MemoryManager, type ManagerSetup } from './memory/manager.js';
export { createMemoryManager, memoryConfig, type MemoryOptions } from './memory/create.js';
export type { MemoryConfig } from './memory/config.js';
export { LINK_PRESETS, parseLink, type LinkModel } from './memory/link.js';
export { POLICY_NAMES, type PolicyName } from './plan/index.js';

// Study.
export {
  ActivationRecorder,
  type ActivationRecorderOptions,
  type RecordingHooks,
} from './study/activation-recorder.js';
export type { RecordedStep } from './study/recorder.js';
export type { TensorMeasurement } from './study/aggregate.js';

// Simulator.
export { simulate, type SimConfig, type SimResult, type SchemeResult } from './sim/simulate.js';
export { getGpu, listGpus } from './sim/gpus.js';
export { getLink, listLinks } from './sim/links.js';
export { summaryText as simulationSummary, resultJson as simulationJson } from './sim/output.js';
