/** The external data files a model reads, as absolute paths (for checks that must not write over them). */
import { resolve } from 'node:path';
import type { ModelProto } from '../codec/types.js';
import { externalRef, isExternal } from '../external/location.js';
import { collectTensors } from '../external/tensors.js';

/**
 * Every distinct file the model's external data references point to, resolved against `baseDir`.
 * @throws InputError for a malformed reference (no location, a bad offset or length)
 */
export function referencedDataFiles(model: ModelProto, baseDir: string, source = 'the model'): string[] {
  const files = new Set<string>();
  for (const slot of collectTensors(model)) {
    if (!isExternal(slot.tensor)) continue;
    files.add(resolve(baseDir, externalRef(slot.tensor, slot.where, source).location));
  }
  return [...files];
}
