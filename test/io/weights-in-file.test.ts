/**
 * loadModel's weightsInFile (validation's loader): large initializers become external data references
 * to the model file itself, reading them back gives the bytes a plain load holds, nothing keeps the
 * file's buffer alive, and onnxruntime computes the same outputs from the references.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { encodeModel } from '../../src/codec/encode.js';
import { DataLocation } from '../../src/codec/types.js';
import { ExternalDataReader } from '../../src/external/reader.js';
import { folderSource } from '../../src/io/external-files.js';
import { loadModel } from '../../src/io/load.js';
import { WEIGHT_IN_FILE_MIN_BYTES } from '../../src/io/weights-in-file.js';
import { tempFolder } from './tmp.js';

const MINI = join(import.meta.dirname, '..', '..', 'fixtures', 'models', 'mini_resnet_bottleneck_op13.onnx');
const dir = tempFolder('weights-in-file');

/** Every Uint8Array reachable from `value` (own names, so protobufjs's `$unknowns` too). */
function views(value: unknown, out: Uint8Array[] = [], seen = new Set<object>()): Uint8Array[] {
  if (value instanceof Uint8Array) out.push(value);
  else if (typeof value === 'object' && value !== null && !seen.has(value)) {
    seen.add(value);
    for (const k of Object.getOwnPropertyNames(value)) views((value as Record<string, unknown>)[k], out, seen);
  }
  return out;
}

describe('loadModel with weightsInFile', () => {
  it('refers to the file itself for every initializer of 1 KiB or more; the bytes read back are the same', async () => {
    const plain = await loadModel(MINI);
    const model = await loadModel(MINI, { weightsInFile: true });
    const reader = new ExternalDataReader(folderSource(join(MINI, '..')), { source: MINI });
    let moved = 0;
    try {
      for (const [i, t] of model.graph!.initializer.entries()) {
        const before = plain.graph!.initializer[i]!;
        expect(t.name).toBe(before.name);
        if ((before.raw_data?.byteLength ?? 0) < WEIGHT_IN_FILE_MIN_BYTES) {
          expect(t.data_location ?? 0).toBe(before.data_location ?? 0);
          expect(Buffer.from(t.raw_data ?? []).equals(Buffer.from(before.raw_data ?? []))).toBe(true);
          continue;
        }
        moved++;
        expect(t.data_location).toBe(DataLocation.EXTERNAL);
        expect(t.external_data.find((e) => e.key === 'location')?.value).toBe(basename(MINI));
        const bytes = await reader.read(t, t.name!);
        expect(Buffer.from(bytes).equals(Buffer.from(before.raw_data!))).toBe(true);
      }
    } finally {
      await reader.close();
    }
    expect(moved).toBeGreaterThan(10);
    // The model now costs its graph: no bytes field views the buffer the whole file was read into.
    const size = readFileSync(MINI).byteLength;
    expect(views(model).every((v) => v.buffer.byteLength < size)).toBe(true);
    expect(encodeModel(model).byteLength).toBeLessThan(size / 10);
  });

  it('onnxruntime computes the same from the references (session from bytes, told the folder)', async () => {
    const copy = join(dir, 'mini.onnx');
    copyFileSync(MINI, copy);
    const model = await loadModel(copy, { weightsInFile: true });
    const options = { extra: { session: { model_external_initializers_file_folder_path: dir } } };
    const fromRefs = await ort.InferenceSession.create(encodeModel(model), options);
    const fromFile = await ort.InferenceSession.create(copy);
    const x = new ort.Tensor(
      'float32',
      Float32Array.from({ length: 2 * 3 * 96 * 96 }, (_, i) => Math.sin(i)),
      [2, 3, 96, 96],
    );
    const a = await fromRefs.run({ [fromRefs.inputNames[0]!]: x });
    const b = await fromFile.run({ [fromFile.inputNames[0]!]: x });
    await fromRefs.release();
    await fromFile.release();
    const name = fromFile.outputNames[0]!;
    expect(Array.from(a[name]!.data as Float32Array)).toEqual(Array.from(b[name]!.data as Float32Array));
  });

  it('a file name that cannot be a location leaves the weights in memory', async () => {
    const odd = join(dir, 'back\\slash.onnx');
    copyFileSync(MINI, odd);
    const model = await loadModel(odd, { weightsInFile: true });
    expect(model.graph!.initializer.every((t) => t.data_location !== DataLocation.EXTERNAL)).toBe(true);
  });
});
