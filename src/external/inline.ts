/**
 * Pulls external tensor data into `raw_data` through the one checked reader, on any platform: Node
 * (loadModel's `loadExternal`, a folder) and the web page (the data files the user picked) both call it.
 */
import type { ModelProto } from '../codec/types.js';
import { isExternal } from './location.js';
import { ExternalDataReader, type ExternalDataSource } from './reader.js';
import { collectTensors } from './tensors.js';

/**
 * Replaces every external reference of `model` by the bytes it points to, read from `source`; each
 * data file is opened once and only the referenced ranges are read. `name` names the model in errors.
 * @returns the number of tensors read.
 * @throws InputError for a damaged reference, an unsafe location, a missing file or a range past its end.
 */
export async function inlineExternalData(model: ModelProto, source: ExternalDataSource, name: string): Promise<number> {
  const slots = collectTensors(model).filter((slot) => isExternal(slot.tensor));
  const reader = new ExternalDataReader(source, { source: name });
  try {
    for (const slot of slots) {
      const t = slot.tensor;
      t.raw_data = await reader.read(t, slot.where);
      t.external_data = [];
      delete t.data_location;
    }
  } finally {
    await reader.close();
  }
  return slots.length;
}
