/**
 * Pulls external tensor data into `raw_data` (loadModel's `loadExternal` option), through the one
 * checked reader: each data file is opened once and only the referenced byte ranges are read.
 */
import type { ModelProto } from '../codec/types.js';
import { isExternal } from '../external/location.js';
import { inlineExternalData } from '../external/inline.js';
import { collectTensors } from '../external/tensors.js';
import { folderSource } from './external-files.js';
import { checkExternalRefs } from './external-check.js';

/**
 * Replaces every external reference of `model` by the bytes it points to. Locations are resolved
 * against `baseDir` (the model file's folder); `source` names the model file in errors.
 * @returns the number of tensors read.
 */
export async function loadExternalData(model: ModelProto, baseDir: string, source: string): Promise<number> {
  const slots = collectTensors(model).filter((slot) => isExternal(slot.tensor));
  // Every reference is checked before any file is opened: a damaged or unsafe one fails the load up front,
  // and a FIFO or device never blocks the read.
  await checkExternalRefs(slots, baseDir, source);
  return inlineExternalData(model, folderSource(baseDir), source);
}
