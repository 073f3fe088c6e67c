import { mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../src/codec/types.js';
import { decodeModel } from '../../src/codec/decode.js';
import { makeGraph, makeModel, makeOpset, makeTensor, makeValueInfo } from '../../src/graph/factory.js';
import { InputError, UsageError } from '../../src/errors.js';
import {
  checkSameInputs,
  chooseShapes,
  inputSpecs,
  parseDimOption,
  parseShapeOption,
  randomInputs,
  DEFAULT_BATCH_DIM,
  DEFAULT_OTHER_DIM,
  RANDOM_INT_HIGH,
} from '../../src/validate/inputs.js';
import { loadInputsFromDir } from '../../src/validate/node/inputs-dir.js';
import { createPrng } from '../../src/validate/prng.js';
import { toFloat64 } from '../../src/validate/host-tensor.js';
import { float16BitsToNumber } from '../../src/tensor/float16.js';

const data = join(import.meta.dirname, 'data');

function model(inputs: ReturnType<typeof makeValueInfo>[], initializerNames: string[] = []) {
  return makeModel(
    makeGraph({
      input: inputs,
      initializer: initializerNames.map((n) => makeTensor(n, [1], new Float32Array([0]))),
    }),
    [makeOpset('', 17)],
  );
}

describe('inputSpecs and checkSameInputs', () => {
  it('lists graph inputs that are not initializers', () => {
    const m = model(
      [makeValueInfo('x', DataType.FLOAT, ['N', 3, 'H', 'W']), makeValueInfo('w', DataType.FLOAT, [1])],
      ['w'],
    );
    expect(inputSpecs(m)).toEqual([{ name: 'x', dataType: DataType.FLOAT, type: 'float32', dims: ['N', 3, 'H', 'W'] }]);
  });

  it('accepts symbolic names that differ, refuses names, types, ranks and static sizes that differ', () => {
    const a = inputSpecs(
      model([makeValueInfo('x', DataType.FLOAT, ['N', 3, 8, 8]), makeValueInfo('ids', DataType.INT64, [4])]),
    );
    expect(() =>
      checkSameInputs(
        a,
        inputSpecs(
          model([makeValueInfo('x', DataType.FLOAT, ['batch', 3, 8, 8]), makeValueInfo('ids', DataType.INT64, [4])]),
        ),
      ),
    ).not.toThrow();
    const b = inputSpecs(
      model([makeValueInfo('x', DataType.FLOAT16, ['N', 3, 8]), makeValueInfo('extra', DataType.FLOAT, [1])]),
    );
    let err: unknown;
    try {
      checkSameInputs(a, b);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/input 'x' is float32 in the original, float16 in the rewritten model/);
    expect(msg).toMatch(/input 'x' has shape \[N, 3, 8, 8\] in the original, \[N, 3, 8\]/);
    expect(msg).toMatch(/input 'ids' of the original is missing from the rewritten model/);
    expect(msg).toMatch(/extra input 'extra'/);
  });
});

describe('chooseShapes', () => {
  const specs = inputSpecs(
    model([
      makeValueInfo('x', DataType.FLOAT, ['N', 3, 'H', 'W']),
      makeValueInfo('mask', DataType.BOOL, ['N', 'H', 'W']),
      makeValueInfo('y', DataType.FLOAT, [undefined, 5, undefined]),
    ]),
  );

  it('defaults a symbolic first dim to 1 and the others to 32, one value per symbolic name', () => {
    const s = chooseShapes(specs);
    expect(DEFAULT_BATCH_DIM).toBe(1);
    expect(DEFAULT_OTHER_DIM).not.toBe(1);
    expect(s.x).toEqual({
      dims: [1, 3, DEFAULT_OTHER_DIM, DEFAULT_OTHER_DIM],
      defaulted: true,
      defaults: ['N=1', 'H=32', 'W=32'],
    });
    expect(s.mask!.dims).toEqual([1, DEFAULT_OTHER_DIM, DEFAULT_OTHER_DIM]);
    expect(s.y!.dims).toEqual([1, 5, DEFAULT_OTHER_DIM]);
    expect(s.mask!.defaults).toEqual(['N=1', 'H=32', 'W=32']);
    expect(s.y!.defaults).toEqual(['#0=1', '#2=32']);
  });

  it('takes --dim values by name and --shape per input', () => {
    const s = chooseShapes(specs, { dims: { N: 2, H: 7 }, shapes: { y: [4, 5, 6] } });
    expect(s.x).toEqual({ dims: [2, 3, 7, DEFAULT_OTHER_DIM], defaulted: true, defaults: ['W=32'] });
    expect(s.mask!.dims).toEqual([2, 7, DEFAULT_OTHER_DIM]);
    expect(s.y).toEqual({ dims: [4, 5, 6], defaulted: false, defaults: [] });
    expect(chooseShapes(specs, { dims: { N: 1, H: 9, W: 9 } }).x).toEqual({
      dims: [1, 3, 9, 9],
      defaulted: false,
      defaults: [],
    });
  });

  it('refuses overrides that name nothing or contradict the model', () => {
    expect(() => chooseShapes(specs, { shapes: { nope: [1] } })).toThrow(UsageError);
    expect(() => chooseShapes(specs, { dims: { Q: 3 } })).toThrow(/--dim names 'Q', which is not a symbolic dimension/);
    try {
      chooseShapes(specs, { dims: { Q: 3 } });
    } catch (e) {
      expect((e as UsageError).hint).toBe('symbolic dimensions: N, H, W');
    }
    expect(() => chooseShapes(specs, { shapes: { x: [1, 4, 8, 8] } })).toThrow(
      /contradicts the model's \[N, 3, H, W\]/,
    );
    expect(() => chooseShapes(specs, { shapes: { x: [1, 3, 8] } })).toThrow(UsageError);
    expect(() =>
      chooseShapes(inputSpecs(model([{ name: 'r', metadata_props: [], type: { tensor_type: { elem_type: 1 } } }]))),
    ).toThrow(/has no declared shape/);
  });

  it('parses --shape and --dim values', () => {
    expect(parseShapeOption('input=1x3x224x224')).toEqual(['input', [1, 3, 224, 224]]);
    expect(parseShapeOption('a=b=2x2')).toEqual(['a=b', [2, 2]]);
    expect(parseDimOption('batch=4')).toEqual(['batch', 4]);
    expect(() => parseShapeOption('input=1xAx3')).toThrow(UsageError);
    expect(() => parseShapeOption('input=0x3x8x8')).toThrow(/positive integers/);
    expect(() => parseDimOption('batch=0')).toThrow(UsageError);
    expect(() => parseDimOption('=3')).toThrow(UsageError);
  });
});

describe('randomInputs', () => {
  const specs = inputSpecs(
    model([
      makeValueInfo('x', DataType.FLOAT, [2, 3, 16, 16]),
      makeValueInfo('h', DataType.FLOAT16, [64]),
      makeValueInfo('ids', DataType.INT64, [100]),
      makeValueInfo('b', DataType.BOOL, [50]),
    ]),
  );
  const shapes = chooseShapes(specs);

  it('is reproducible for a seed and differs across seeds', () => {
    const a = randomInputs(specs, shapes, { seed: 5 }),
      b = randomInputs(specs, shapes, { seed: 5 }),
      c = randomInputs(specs, shapes, { seed: 6 });
    expect(a.x!.data).toEqual(b.x!.data);
    expect(a.ids!.data).toEqual(b.ids!.data);
    expect(a.x!.data).not.toEqual(c.x!.data);
  });

  it('draws standard normal floats, float16 bit patterns, small ints and bools', () => {
    const r = randomInputs(specs, shapes, { seed: 1 });
    const x = toFloat64(r.x!);
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const sd = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / (x.length - 1));
    expect(Math.abs(mean)).toBeLessThan(0.1); // 1536 draws: the mean's sd is 0.026
    expect(sd).toBeGreaterThan(0.9);
    expect(sd).toBeLessThan(1.1);
    expect(r.h!.type).toBe('float16');
    expect(
      Array.from(r.h!.data as Uint16Array, float16BitsToNumber).every((v) => Number.isFinite(v) && Math.abs(v) < 8),
    ).toBe(true);
    expect(Array.from(r.ids!.data as BigInt64Array).every((v) => v >= 0n && v < BigInt(RANDOM_INT_HIGH))).toBe(true);
    expect(new Set(r.b!.data as Uint8Array)).toEqual(new Set([0, 1]));
    const u = toFloat64(randomInputs(specs, shapes, { seed: 1, distribution: 'uniform' }).x!);
    expect(u.every((v) => v >= -1 && v < 1)).toBe(true);
  });

  it('has a uniform generator that fills [0, 1) evenly', () => {
    const p = createPrng(123);
    const bins = new Array<number>(10).fill(0);
    for (let i = 0; i < 10000; i++) bins[Math.floor(p.uniform() * 10)]!++;
    for (const b of bins) expect(Math.abs(b - 1000)).toBeLessThan(150); // ~5 sd of a binomial(10000, 0.1)
  });
});

describe('loadInputsFromDir', () => {
  const specs = inputSpecs(model([makeValueInfo('input', DataType.FLOAT, ['N', 3, 8, 8])]));
  const npyValues = () => {
    const t = readFileSync(join(data, 'inputs_npy', 'input_0.npy'));
    return new Float32Array(t.buffer.slice(t.byteOffset + t.length - 4 * 192, t.byteOffset + t.length));
  };

  it('reads ONNX test-data .pb files (raw_data and float_data), ignoring outputs', async () => {
    const pb = await loadInputsFromDir(join(data, 'inputs_pb'), specs);
    expect(pb.input!.tensor.dims).toEqual([1, 3, 8, 8]);
    expect(pb.input!.file).toMatch(/input_0\.pb$/);
    expect(pb.input!.tensor.data).toEqual(npyValues());
    const fd = await loadInputsFromDir(join(data, 'inputs_float_data'), specs);
    expect(fd.input!.tensor.data).toEqual(npyValues());
  });

  it('reads .npy files by position or by input name', async () => {
    const byPos = await loadInputsFromDir(join(data, 'inputs_npy'), specs);
    expect(byPos.input!.tensor.data).toEqual(npyValues());
    const dir = mkdtempSync(join(tmpdir(), 'sge-inputs-'));
    copyFileSync(join(data, 'inputs_npy', 'input_0.npy'), join(dir, 'input.npy'));
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    expect((await loadInputsFromDir(dir, specs)).input!.tensor.dims).toEqual([1, 3, 8, 8]);
  });

  it("reads a fixture's test_data_set_0", async () => {
    const m = decodeModel(new Uint8Array(readFileSync('fixtures/models/mini_resnet_bottleneck_op13.onnx')));
    const loaded = await loadInputsFromDir(
      'fixtures/models/mini_resnet_bottleneck_op13/test_data_set_0',
      inputSpecs(m),
    );
    expect(loaded.input!.tensor.dims).toEqual([2, 3, 96, 96]);
  });

  it('says what is missing, doubled or mismatched', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'sge-inputs-'));
    await expect(loadInputsFromDir(empty, specs)).rejects.toThrow(/no tensor for input 'input'/);
    await expect(loadInputsFromDir(join(empty, 'nope'), specs)).rejects.toThrow(InputError);
    const twice = mkdtempSync(join(tmpdir(), 'sge-inputs-'));
    copyFileSync(join(data, 'inputs_pb', 'input_0.pb'), join(twice, 'input_0.pb'));
    copyFileSync(join(data, 'inputs_npy', 'input_0.npy'), join(twice, 'input.npy'));
    await expect(loadInputsFromDir(twice, specs)).rejects.toThrow(/given twice/);
    const f16 = inputSpecs(model([makeValueInfo('input', DataType.FLOAT16, ['N', 3, 8, 8])]));
    await expect(loadInputsFromDir(join(data, 'inputs_pb'), f16)).rejects.toThrow(
      /input 'input' is float16, the file holds float32/,
    );
    const other = inputSpecs(model([makeValueInfo('input', DataType.FLOAT, ['N', 3, 9, 9])]));
    await expect(loadInputsFromDir(join(data, 'inputs_npy'), other)).rejects.toThrow(
      /has shape \[N, 3, 9, 9\], the file holds 1x3x8x8/,
    );
  });
});
