/**
 * Pulls external tensor data into `raw_data` (loadModel's `loadExternal` option). Each data file is
 * opened once and only the referenced byte ranges are read.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError } from '../errors.js';
import type { ModelProto } from '../codec/types.js';
import { collectTensors, type TensorSlot } from './tensors.js';
import { externalRef, isExternal, type ExternalRef } from './location.js';
import { readError } from './fs-errors.js';

/** Largest single read (Node refuses reads above 2 GiB). */
const READ_PIECE = 1 << 30;

/** Reads `length` bytes at `position` into a new buffer, in pieces, failing on a short file. */
export async function readRange(fh: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const want = Math.min(READ_PIECE, length - done);
    const { bytesRead } = await fh.read(out, done, want, position + done);
    if (bytesRead === 0) throw new RangeError(`unexpected end of file after ${position + done} bytes`);
    done += bytesRead;
  }
  return out;
}

/**
 * Replaces every external reference of `model` by the bytes it points to. Locations are resolved
 * against `baseDir` (the model file's folder); `source` names the model file in errors.
 * @returns the number of tensors read.
 */
export async function loadExternalData(model: ModelProto, baseDir: string, source: string): Promise<number> {
  const byFile = new Map<string, Array<{ slot: TensorSlot; ref: ExternalRef }>>();
  for (const slot of collectTensors(model)) {
    if (!isExternal(slot.tensor)) continue;
    const ref = externalRef(slot.tensor, slot.where, source);
    const file = resolve(baseDir, ref.location);
    const list = byFile.get(file);
    if (list) list.push({ slot, ref });
    else byFile.set(file, [{ slot, ref }]);
  }
  let count = 0;
  for (const [file, items] of byFile) {
    let fh: FileHandle;
    try {
      fh = await open(file, 'r');
    } catch (err) {
      const e = readError(err, file, 'external data file');
      if (e instanceof InputError) {
        throw new InputError(
          `${source}: ${items[0]!.slot.where} keeps its data in '${items[0]!.ref.location}': ${e.message}`,
          'keep external data files beside the model, at the locations it names',
          { cause: err },
        );
      }
      throw e;
    }
    try {
      const { size } = await fh.stat();
      for (const { slot, ref } of items) {
        const length = ref.length ?? size - ref.offset;
        if (ref.offset + length > size || length < 0) {
          throw new InputError(
            `${source}: ${slot.where} needs bytes ${ref.offset}..${ref.offset + Math.max(length, 0)} of '${ref.location}', which has only ${size} bytes`,
            'the external data file does not belong to this model, or it is truncated',
          );
        }
        const data = await readRange(fh, ref.offset, length);
        const t = slot.tensor;
        t.raw_data = data;
        t.external_data = [];
        delete t.data_location;
        count++;
      }
    } finally {
      await fh.close();
    }
  }
  return count;
}
