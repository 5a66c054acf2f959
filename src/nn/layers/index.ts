/**
 * The executor's runtime layers. Each kind is one descriptor (./kind.ts) in
 * its own file here, registered in ./registry.ts; adding a kind is that file
 * plus one registerLayerKind line (docs/EXECUTOR.md, "Adding a layer kind").
 */
import type { LayerSpec } from '../spec.js';
import type { Layer, LayerSetup } from './layer.js';
import { layerKind } from './registry.js';

export type { LayerDescriptor, LayerCosts, SavedRole } from './kind.js';
export { findLayerKind, layerKind, registerLayerKind } from './registry.js';

/** The runtime layer for a spec; InvalidArgumentError naming the layer for an unknown kind. */
export function createLayer(spec: LayerSpec, setup: LayerSetup): Layer {
  return layerKind(spec.kind, spec.name).create(spec, setup);
}
