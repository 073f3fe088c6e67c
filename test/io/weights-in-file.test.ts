/**
 * loadModel's weightsInFile (validation's loader): large initializers become external data references
 * to the model file itself, reading them back gives the bytes a plain load holds, nothing keeps the
 * file's buffer alive, and onnxruntime computes the same outputs from the references. The model is the one
 * today's way gives (the whole file decoded, then leaveWeightsInFile), though the weights are never read;
 * files that are not ordinary models give today's model or today's error.
 */
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/codec/decode.js';
import { encodeModel } from '../../src/codec/encode.js';
import { onnxRoot } from '../../src/codec/schema.js';
import { DataLocation } from '../../src/codec/types.js';
import { ExternalDataReader } from '../../src/external/reader.js';
import { folderSource } from '../../src/io/external-files.js';
import { loadModel } from '../../src/io/load.js';
import { saveModel } from '../../src/io/save.js';
import { leaveWeightsInFile, WEIGHT_IN_FILE_MIN_BYTES } from '../../src/io/weights-in-file.js';
import { lengthField, varintField } from '../codec/wire.js';
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

  /** Today's way: the whole file decoded (named as loadModel names it), its large weights then left in it. */
  function today(path: string) {
    const bytes = new Uint8Array(readFileSync(path));
    const model = decodeModel(bytes, { source: path });
    leaveWeightsInFile(model, bytes, basename(path));
    return model;
  }

  async function expectToday(path: string): Promise<void> {
    const ours = await loadModel(path, { weightsInFile: true });
    const theirs = today(path);
    expect(ours, path).toEqual(theirs);
    expect(Buffer.from(encodeModel(ours)).equals(Buffer.from(encodeModel(theirs))), path).toBe(true);
  }

  it('gives today’s model for every fixture model, and for one saved with external data', async () => {
    const models = join(import.meta.dirname, '..', '..', 'fixtures', 'models');
    const paths = readdirSync(models, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.onnx'))
      .map((f) => join(models, f));
    expect(paths.length).toBeGreaterThanOrEqual(8);
    for (const path of paths) await expectToday(path);
    // Half of its initializers in a data file, the others (1-4 KiB) in the model file.
    const saved = join(dir, 'external.onnx');
    await saveModel(await loadModel(MINI), saved, { externalData: { threshold: 4096 } });
    const model = await loadModel(saved, { weightsInFile: true });
    const inData = model.graph!.initializer.filter((t) =>
      t.external_data.some((e) => e.key === 'location' && e.value !== 'external.onnx'),
    );
    const inFile = model.graph!.initializer.filter((t) =>
      t.external_data.some((e) => e.key === 'location' && e.value === 'external.onnx'),
    );
    expect(inData.length).toBeGreaterThan(0);
    expect(inFile.length).toBeGreaterThan(0);
    await expectToday(saved);
  });

  it('gives today’s model for a graph given twice and for an initializer with two raw_data fields', async () => {
    const bytes = new Uint8Array(readFileSync(MINI));
    const graph = onnxRoot.lookupType('onnx.GraphProto').encode(decodeModel(bytes).graph!).finish();
    const twice = join(dir, 'twice.onnx');
    writeFileSync(twice, Uint8Array.from([...bytes, ...lengthField(7, graph)]));
    await expectToday(twice);

    const raw = (fill: number) => lengthField(9, new Array(WEIGHT_IN_FILE_MIN_BYTES).fill(fill));
    const tensor = [...varintField(1, WEIGHT_IN_FILE_MIN_BYTES / 4), ...varintField(2, 1), ...lengthField(8, [0x77])];
    const twoRaw = join(dir, 'two-raw.onnx');
    writeFileSync(
      twoRaw,
      Uint8Array.from([...varintField(1, 8), ...lengthField(7, lengthField(5, [...tensor, ...raw(1), ...raw(2)]))]),
    );
    await expectToday(twoRaw);
    // protobuf's last field wins: the reference is to the second raw_data.
    const t = (await loadModel(twoRaw, { weightsInFile: true })).graph!.initializer[0]!;
    const offset = Number(t.external_data.find((e) => e.key === 'offset')!.value);
    expect(readFileSync(twoRaw)[offset]).toBe(2);
  });

  it('gives today’s error, or today’s model, for the file cut anywhere', async () => {
    const bytes = readFileSync(MINI);
    const cut = join(dir, 'cut.onnx');
    for (const at of [0, 1, 2, 5, 100, 4096, bytes.length >> 1, bytes.length - 2000, bytes.length - 1]) {
      writeFileSync(cut, bytes.subarray(0, at));
      let expected: unknown;
      try {
        expected = today(cut);
      } catch (err) {
        expected = err;
      }
      if (expected instanceof Error) {
        await expect(loadModel(cut, { weightsInFile: true }), `cut at ${at}`).rejects.toThrow(expected.message);
        await expect(loadModel(cut, { weightsInFile: true })).rejects.toHaveProperty('name', expected.name);
      } else await expectToday(cut);
    }
  });

  it('gives today’s error for a corrupt node after the weights (the message names offsets in the file)', async () => {
    const raw = lengthField(9, new Array(4 * WEIGHT_IN_FILE_MIN_BYTES).fill(1));
    const tensor = lengthField(5, [...varintField(2, 1), ...lengthField(8, [0x77]), ...raw]);
    const node = lengthField(1, [0x0a, 0x01, 0x78, (3 << 3) | 7]); // input "x", then a field of wire type 7
    const path = join(dir, 'corrupt-node.onnx');
    writeFileSync(path, Uint8Array.from([...varintField(1, 8), ...lengthField(7, [...tensor, ...node])]));
    expect(() => today(path)).toThrow(/invalid wire type 7 at offset 41\d\d/);
    const expected = (() => {
      try {
        today(path);
      } catch (err) {
        return err as Error;
      }
    })()!;
    await expect(loadModel(path, { weightsInFile: true })).rejects.toThrow(expected.message);
  });
});
