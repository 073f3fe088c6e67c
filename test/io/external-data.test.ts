// External data: tensors moved to a data file on request or past the size limit, references kept
// valid when saving into another folder (checked by running the saved model in onnxruntime-node),
// locations that are absolute or contain `..` never written, and loadExternal reading them back.
import { fileURLToPath } from 'node:url';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../../src/io/index.js';
import {
  decodeModel,
  encodeModel,
  DataType,
  DataLocation,
  type ModelProto,
  type TensorProto,
} from '../../src/codec/index.js';
import {
  makeAttribute,
  makeGraph,
  makeModel,
  makeNode,
  makeOpset,
  makeTensor,
  makeValueInfo,
} from '../../src/graph/factory.js';
import { InputError, UsageError } from '../../src/errors.js';
import { tempFolder } from './tmp.js';
import { seededUniform } from '../helpers/random.js';
import { runChild } from './helpers/child.js';

const dir = tempFolder('ext');
type Ort = typeof import('onnxruntime-node');
let ort: Ort;
beforeAll(async () => {
  ort = await import('onnxruntime-node');
});

/** Deterministic pseudo-random floats in [-1, 1). */
const randoms = (n: number, seed: number): Float32Array => seededUniform(n, seed);

/** x[1,3,8,8] → Conv(16, 3x3, pad 1) → Relu → Conv(8, 1x1) → y. Weights 1,728 B and 512 B; biases small. */
function convModel(): ModelProto {
  const w1 = makeTensor('w1', [16, 3, 3, 3], randoms(16 * 3 * 9, 1));
  const b1 = makeTensor('b1', [16], randoms(16, 2));
  const w2 = makeTensor('w2', [8, 16, 1, 1], randoms(8 * 16, 3));
  const nodes = [
    makeNode({
      op_type: 'Conv',
      name: 'conv1',
      input: ['x', 'w1', 'b1'],
      output: ['c1'],
      attribute: [makeAttribute('pads', { ints: [1, 1, 1, 1] })],
    }),
    makeNode({ op_type: 'Relu', name: 'relu', input: ['c1'], output: ['r1'] }),
    makeNode({ op_type: 'Conv', name: 'conv2', input: ['r1', 'w2'], output: ['y'] }),
  ];
  const graph = makeGraph({
    name: 'tiny',
    node: nodes,
    initializer: [w1, b1, w2],
    input: [makeValueInfo('x', DataType.FLOAT, [1, 3, 8, 8])],
    output: [makeValueInfo('y', DataType.FLOAT, [1, 8, 8, 8])],
  });
  return makeModel(graph, [makeOpset('', 13)]);
}

const X = randoms(3 * 64, 9);

async function run(model: string | Uint8Array): Promise<Float32Array> {
  const session =
    typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  const out = await session.run({ x: new ort.Tensor('float32', X, [1, 3, 8, 8]) });
  await session.release();
  return out.y!.data as Float32Array;
}

function locations(path: string): string[] {
  const model = decodeModel(new Uint8Array(readFileSync(path)));
  return model
    .graph!.initializer.filter((t) => t.data_location === DataLocation.EXTERNAL)
    .map((t) => t.external_data.find((e) => e.key === 'location')!.value!);
}

function entry(t: TensorProto, key: string): string | undefined {
  return t.external_data.find((e) => e.key === key)?.value;
}

/** Turns `t` into a reference to `location` (whose bytes the test wrote by hand), with or without offset/length. */
function makeExternal(t: TensorProto, location: string, withRange: boolean): void {
  t.external_data = [{ key: 'location', value: location }];
  if (withRange)
    t.external_data.push({ key: 'offset', value: '0' }, { key: 'length', value: String(t.raw_data!.length) });
  t.data_location = DataLocation.EXTERNAL;
  delete t.raw_data;
}

function folder(name: string): string {
  const p = join(dir, name);
  mkdirSync(p, { recursive: true });
  return p;
}

describe('external data', () => {
  it('externalData: true moves initializers ≥ 1 KiB to <name>.data; onnxruntime runs it the same', async () => {
    const model = convModel();
    const before = encodeModel(model);
    const out = join(folder('a'), 'model.onnx');
    const report = await saveModel(model, out, { externalData: true });
    expect(report.externalData).toEqual({
      location: 'model.onnx.data',
      path: `${out}.data`,
      tensors: 1,
      byteLength: 1728,
      automatic: false,
    });
    // The caller's model is not changed.
    expect(Buffer.compare(Buffer.from(encodeModel(model)), Buffer.from(before))).toBe(0);
    const saved = decodeModel(new Uint8Array(readFileSync(out)));
    const w1 = saved.graph!.initializer.find((t) => t.name === 'w1')!;
    expect(w1.data_location).toBe(DataLocation.EXTERNAL);
    expect(Object.hasOwn(w1, 'raw_data')).toBe(false);
    expect([entry(w1, 'location'), entry(w1, 'offset'), entry(w1, 'length')]).toEqual(['model.onnx.data', '0', '1728']);
    expect(saved.graph!.initializer.find((t) => t.name === 'b1')!.data_location ?? 0).toBe(0);
    expect(statSync(`${out}.data`).size).toBe(1728);
    expect(await run(out)).toEqual(await run(before));
  });

  it('threshold and location options', async () => {
    const out = join(folder('b'), 'm.onnx');
    const report = await saveModel(convModel(), out, { externalData: { location: 'weights/all.bin', threshold: 0 } });
    expect(report.externalData).toMatchObject({ location: 'weights/all.bin', tensors: 3, byteLength: 1728 + 64 + 512 });
    expect(locations(out)).toEqual(['weights/all.bin', 'weights/all.bin', 'weights/all.bin']);
    expect(await run(out)).toEqual(await run(encodeModel(convModel())));
  });

  it('large tensors are aligned to 4096 bytes in the data file', async () => {
    const model = convModel();
    model.graph!.initializer.push(makeTensor('big', [300_000], randoms(300_000, 4)));
    const out = join(folder('align'), 'm.onnx');
    await saveModel(model, out, { externalData: true });
    const saved = decodeModel(new Uint8Array(readFileSync(out)));
    const big = saved.graph!.initializer.find((t) => t.name === 'big')!;
    expect(Number(entry(big, 'offset')) % 4096).toBe(0);
    const data = readFileSync(`${out}.data`);
    const off = Number(entry(big, 'offset'));
    expect(
      Buffer.compare(data.subarray(off, off + 1_200_000), Buffer.from(model.graph!.initializer[3]!.raw_data!)),
    ).toBe(0);
  });

  it('a loaded model saved into another folder copies its data file and still runs', async () => {
    const src = join(folder('src'), 'model.onnx');
    await saveModel(convModel(), src, { externalData: true });
    const loaded = await loadModel(src);
    // Loading did not read the external weights.
    const w1 = loaded.graph!.initializer.find((t) => t.name === 'w1')!;
    expect(w1.data_location).toBe(DataLocation.EXTERNAL);
    const out = join(folder('dst'), 'out.onnx');
    const report = await saveModel(loaded, out);
    expect(report.copied).toEqual([{ from: `${src}.data`, to: join(dir, 'dst', 'model.onnx.data') }]);
    expect(report.notes.join('\n')).toMatch(/copied external data/);
    expect(locations(out)).toEqual(['model.onnx.data']);
    rmSync(join(dir, 'src'), { recursive: true });
    expect(await run(out)).toEqual(await run(encodeModel(convModel())));
    expect(readdirSync(join(dir, 'dst')).sort()).toEqual(['model.onnx.data', 'out.onnx']);
  });

  it('never replaces a different file of the same name; an identical earlier copy is reused', async () => {
    const src = join(folder('clash-src'), 'model.onnx');
    await saveModel(convModel(), src, { externalData: true });
    const outDir = folder('clash');
    writeFileSync(join(outDir, 'model.onnx.data'), "somebody else's file");
    const first = await saveModel(await loadModel(src), join(outDir, 'o.onnx'));
    expect(readFileSync(join(outDir, 'model.onnx.data'), 'utf8')).toBe("somebody else's file");
    expect(locations(join(outDir, 'o.onnx'))).toEqual(['model.onnx.1.data']);
    expect(first.copied).toEqual([{ from: `${src}.data`, to: join(outDir, 'model.onnx.1.data') }]);
    expect(first.notes.join('\n')).toMatch(/is a different file, left as it is/);
    expect(await run(join(outDir, 'o.onnx'))).toEqual(await run(encodeModel(convModel())));
    // Saving again finds its identical copy and copies nothing.
    const again = await saveModel(await loadModel(src), join(outDir, 'o2.onnx'));
    expect(again.copied).toEqual([]);
    expect(locations(join(outDir, 'o2.onnx'))).toEqual(['model.onnx.1.data']);
    expect(readdirSync(outDir).sort()).toEqual(['model.onnx.1.data', 'model.onnx.data', 'o.onnx', 'o2.onnx']);
  });

  it('a data file named like the output model: copied under another name elsewhere, refused in place', async () => {
    const src = join(folder('named-src'), 'model.onnx');
    await saveModel(convModel(), src, { externalData: { location: 'out.onnx' } });
    const out = join(folder('named-dst'), 'out.onnx');
    const report = await saveModel(await loadModel(src), out);
    expect(locations(out)).toEqual(['out.1.onnx']);
    expect(report.copied).toEqual([
      { from: join(dir, 'named-src', 'out.onnx'), to: join(dir, 'named-dst', 'out.1.onnx') },
    ]);
    expect(await run(out)).toEqual(await run(encodeModel(convModel())));
    // In its own folder, out.onnx holds the weights: overwriting it would break model.onnx.
    const inPlace = join(dir, 'named-src', 'out.onnx');
    const err = await saveModel(await loadModel(src), inPlace).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/the file the model is to be saved as/);
    expect(await run(src)).toEqual(await run(encodeModel(convModel())));
  });

  it('saving beside the data file copies nothing and keeps the reference bytes as they were', async () => {
    const src = join(folder('same'), 'model.onnx');
    await saveModel(convModel(), src, { externalData: true });
    const out = join(dir, 'same', 'edited.onnx');
    const report = await saveModel(await loadModel(src), out);
    expect(report.copied).toEqual([]);
    expect(Buffer.compare(readFileSync(out), readFileSync(src))).toBe(0);
  });

  it('locations with .. or absolute paths are refused before anything is read or written (save and loadExternal)', async () => {
    const shared = folder('shared');
    const modelDir = folder('models/deep');
    // The weights exist and are right: only where the model says they are is wrong (issue 9).
    for (const [location, relative] of [
      ['../../shared/w1.bin', true],
      [join(shared, 'w1.bin'), false],
    ] as const) {
      const model = convModel();
      const tw1 = model.graph!.initializer[0]!;
      writeFileSync(join(shared, 'w1.bin'), tw1.raw_data!);
      makeExternal(tw1, location, relative);
      const inPath = join(modelDir, 'm.onnx');
      writeFileSync(inPath, encodeModel(model));
      const outDir = folder(`out-unsafe-${relative ? 'dotdot' : 'absolute'}`);
      const says = `initializer 'w1' keeps its data at '${location}', which is absolute or outside the model's folder`;
      await expect(saveModel(await loadModel(inPath), join(outDir, 'o.onnx'))).rejects.toThrow(says);
      expect(readdirSync(outDir)).toEqual([]);
      await expect(loadModel(inPath, { loadExternal: true })).rejects.toThrow(says);
    }
  });

  it('re-saving with external data over the same data file carries the old tensors over', async () => {
    const path = join(folder('merge'), 'm.onnx');
    const model = convModel();
    model.graph!.initializer.push(makeTensor('extra', [1000], randoms(1000, 7)));
    await saveModel(model, path, { externalData: true });
    const loaded = await loadModel(path);
    // One more inline tensor to move, while the old ones live in the very file being rewritten.
    loaded.graph!.initializer.push(makeTensor('late', [500], randoms(500, 8)));
    const report = await saveModel(loaded, path, { externalData: true });
    expect(report.externalData).toMatchObject({ location: 'm.onnx.data', tensors: 3 });
    expect(report.notes.join('\n')).toMatch(/carried over/);
    const back = await loadModel(path, { loadExternal: true });
    const byName = new Map(back.graph!.initializer.map((t) => [t.name, t]));
    expect(Buffer.from(byName.get('w1')!.raw_data!)).toEqual(Buffer.from(model.graph!.initializer[0]!.raw_data!));
    expect(Buffer.from(byName.get('extra')!.raw_data!)).toEqual(Buffer.from(model.graph!.initializer[3]!.raw_data!));
    expect(new Float32Array(new Uint8Array(byName.get('late')!.raw_data!).buffer)).toEqual(randoms(500, 8));
    expect(readdirSync(join(dir, 'merge')).sort()).toEqual(['m.onnx', 'm.onnx.data']);
  });

  it('loadExternal reads the data back into raw_data: the model re-encodes to the inline original', async () => {
    const path = join(folder('le'), 'm.onnx');
    const model = convModel();
    await saveModel(model, path, { externalData: { threshold: 0 } });
    const back = await loadModel(path, { loadExternal: true });
    expect(Buffer.compare(Buffer.from(encodeModel(back)), Buffer.from(encodeModel(model)))).toBe(0);
  });

  it('a missing or short data file is an InputError naming the tensor and file', async () => {
    const path = join(folder('broken'), 'm.onnx');
    await saveModel(convModel(), path, { externalData: true });
    writeFileSync(`${path}.data`, new Uint8Array(100));
    const short = await loadModel(path, { loadExternal: true }).catch((e: unknown) => e);
    expect(short).toBeInstanceOf(InputError);
    expect((short as Error).message).toMatch(/initializer 'w1'.*only 100 bytes/);
    const shortSave = await saveModel(await loadModel(path), join(folder('broken-out'), 'o.onnx')).catch(
      (e: unknown) => e,
    );
    expect(shortSave).toBeInstanceOf(InputError);
    rmSync(`${path}.data`);
    const missing = await loadModel(path, { loadExternal: true }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(InputError);
    expect((missing as Error).message).toMatch(/m\.onnx\.data/);
    // Loading without reading external data works; saving elsewhere needs the file.
    const loaded = await loadModel(path);
    const err = await saveModel(loaded, join(folder('broken-out2'), 'o.onnx')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(
      /initializer 'w1' keeps its data in 'm\.onnx\.data': .*no such external data file/,
    );
    expect(readdirSync(join(dir, 'broken-out2'))).toEqual([]);
  });

  it('a model over the size limit goes to external data automatically, and says so', async () => {
    const out = join(folder('auto'), 'm.onnx');
    const report = await saveModel(convModel(), out, { maxModelBytes: 2000 });
    expect(report.externalData).toMatchObject({ location: 'm.onnx.data', tensors: 1, automatic: true });
    expect(report.notes[0]).toMatch(/more than a protobuf file can hold.*external data 'm\.onnx\.data'/);
    expect(report.byteLength).toBeLessThanOrEqual(2000);
    expect(await run(out)).toEqual(await run(encodeModel(convModel())));
  });

  it('externalData: false refuses the automatic switch; a graph too big even then is an InputError', async () => {
    const out = join(folder('refuse'), 'm.onnx');
    await expect(saveModel(convModel(), out, { maxModelBytes: 2000, externalData: false })).rejects.toThrow(InputError);
    await expect(saveModel(convModel(), out, { maxModelBytes: 100 })).rejects.toThrow(
      /even with its large initializers/,
    );
    expect(readdirSync(join(dir, 'refuse'))).toEqual([]);
  });

  it('refuses external data locations outside the output folder', async () => {
    const out = join(folder('badloc'), 'm.onnx');
    for (const location of ['../w.bin', '/tmp/w.bin', 'a/../../w.bin']) {
      await expect(saveModel(convModel(), out, { externalData: { location } })).rejects.toThrow(UsageError);
    }
    expect(existsSync(out)).toBe(false);
  });

  it('a failure after some files were prepared removes them all', async () => {
    // An existing reference to copy from another folder, and a data file location whose folder
    // cannot be created (a file is in the way): the copy is prepared, then the save fails.
    const src = join(folder('fail-src'), 'model.onnx');
    await saveModel(convModel(), src, { externalData: true });
    const outDir = folder('fail');
    writeFileSync(join(outDir, 'weights'), 'a file, not a folder');
    writeFileSync(join(outDir, 'o.onnx'), 'previous');
    const loaded = await loadModel(src);
    const err = await saveModel(loaded, join(outDir, 'o.onnx'), {
      externalData: { location: 'weights/new.bin', threshold: 0 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(readFileSync(join(outDir, 'o.onnx'), 'utf8')).toBe('previous');
    expect(readdirSync(outDir).sort()).toEqual(['o.onnx', 'weights']);
  });

  it('a write of the data file failing midway (file size limit) leaves the old files and no temporary file', async () => {
    const outDir = folder('efbig-data');
    const out = join(outDir, 'out.onnx');
    writeFileSync(out, 'previous');
    const fixture = fileURLToPath(new URL('../../fixtures/models/mini_resnet_bottleneck_op13.onnx', import.meta.url));
    // Two 2 MiB initializers go to the data file; the limit is 1 MiB.
    const r = await runChild(
      'save-child.ts',
      { input: fixture, outputs: [out], views: 2, viewMiB: 2, options: { externalData: true } },
      { ulimitFileBlocks: 1024 },
    );
    expect(r.json, r.stderr).toMatchObject({ ok: false, name: 'InputError' });
    expect(readFileSync(out, 'utf8')).toBe('previous');
    expect(readdirSync(outDir)).toEqual(['out.onnx']);
  });
});
