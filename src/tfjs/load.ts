/**
 * One call from a model.json path to an imported model: the file loaded
 * through the checked loader (src/study/tfjs-io.ts), converted
 * (./import.ts), and the TensorFlow.js copy freed (the executor holds the
 * weights from then on).
 */
import { basename, dirname } from 'node:path';
import { loadTfjsModelFile } from '../study/tfjs-io.js';
import { importLayersModel, rawConfigs, type ImportedModel, type ImportOptions } from './import.js';

/**
 * The name cdma gives a model file: its folder's name for a `model.json`
 * (models/inception_v3/model.json -> inception_v3), else the file's name
 * without `.json`; never Keras' internal name such as model_1.
 */
export function modelFileName(path: string): string {
  const file = basename(path);
  if (file.toLowerCase() === 'model.json') {
    const dir = basename(dirname(path));
    if (dir !== '' && dir !== '.' && dir !== '..' && dir !== '/') return dir;
  }
  return file.replace(/\.json$/i, '') || 'model';
}

export async function loadImportedModel(
  path: string,
  opts: Omit<ImportOptions, 'name'> = {},
): Promise<ImportedModel> {
  const { model, topology } = await loadTfjsModelFile(path);
  try {
    return importLayersModel(model, { ...opts, name: modelFileName(path) }, rawConfigs(topology));
  } finally {
    model.dispose();
  }
}
