/**
 * Every external data reference of a model, checked before anything is read, copied or written: the
 * location stays inside the model's folder (onnx and onnxruntime refuse absolute and `..` locations; a
 * model may name any file the process can read), the file is there and is a regular file (a FIFO or a
 * device would block or never end), and the byte range lies inside it and holds the whole tensor.
 * The location and range rules are the one reader's (src/external/reader.ts).
 */
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError } from '../errors.js';
import { externalRef, isExternal } from '../external/location.js';
import { checkLocation, checkRange } from '../external/reader.js';
import type { TensorSlot } from '../external/tensors.js';
import { dataByteLength } from '../tensor/size.js';
import { readError } from './fs-errors.js';
import { nonRegularKind } from './target.js';

/** A checked data file: its absolute path and what stat said. */
export interface CheckedDataFile {
  readonly path: string;
  readonly stats: Stats;
}

/**
 * Checks the external references among `slots` (locations relative to `baseDir`; `source` names the
 * model in messages).
 * @returns the data files, by absolute path, each once
 * @throws InputError naming the tensor and the file: an unsafe location, a missing or non-regular file, a
 *   range past the end of the file or shorter than the tensor's type and shape need
 */
export async function checkExternalRefs(
  slots: readonly TensorSlot[],
  baseDir: string,
  source: string,
): Promise<Map<string, CheckedDataFile>> {
  const files = new Map<string, CheckedDataFile>();
  for (const slot of slots) {
    if (!isExternal(slot.tensor)) continue;
    const ref = externalRef(slot.tensor, slot.where, source);
    const path = resolve(baseDir, checkLocation(ref, slot.where, source));
    let file = files.get(path);
    if (!file) {
      let stats: Stats;
      try {
        stats = await stat(path);
      } catch (err) {
        const e = readError(err, path, 'external data file');
        if (!(e instanceof InputError)) throw e;
        throw new InputError(
          `${source}: ${slot.where} keeps its data in '${ref.location}': ${e.message}`,
          'keep external data files beside the model, at the locations it names',
          { cause: err },
        );
      }
      const kind = nonRegularKind(stats);
      if (kind) {
        throw new InputError(
          `${source}: ${slot.where} keeps its data in '${ref.location}', which is ${kind}, not a regular file`,
          'external data must be regular files beside the model',
        );
      }
      file = { path, stats };
      files.set(path, file);
    }
    const implied = dataByteLength(slot.tensor);
    const length = checkRange(ref, file.stats.size, slot.where, source, implied);
    if (implied !== undefined && length < implied) {
      throw new InputError(
        `${source}: ${slot.where} has ${length} bytes in '${ref.location}', but its type and shape need ${implied}`,
        'the external data file does not belong to this model, or it is truncated',
      );
    }
  }
  return files;
}
