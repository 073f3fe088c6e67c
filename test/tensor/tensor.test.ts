import { describe, expect, it } from 'vitest';
import Long from 'long';
import { DataType, type TensorProto } from '../../src/codec/types.js';
import { makeTensorShell } from '../../src/graph/factory.js';
import {
  elementCount,
  float16BitsToNumber,
  makeFloatTensor,
  numberToFloat16Bits,
  roundToFloat16,
  tensorToFloat32,
  tensorToFloat64,
  toFloat16Bits,
} from '../../src/tensor/index.js';
import { InputError } from '../../src/errors.js';
import { readTensorProto } from '../helpers/tensors.js';
import { runOrt } from '../helpers/ort.js';
import { encodeModel } from '../../src/codec/encode.js';
import { makeAttribute, makeGraph, makeModel, makeNode, makeOpset, makeValueInfo } from '../../src/graph/factory.js';

const CORPUS = '/usr/share/libonnx-testdata/data/node';

describe('float16 conversions', () => {
  it('decodes known bit patterns exactly', () => {
    expect(float16BitsToNumber(0x3c00)).toBe(1);
    expect(float16BitsToNumber(0xc000)).toBe(-2);
    expect(float16BitsToNumber(0x7bff)).toBe(65504);
    expect(float16BitsToNumber(0x0001)).toBe(2 ** -24);
    expect(float16BitsToNumber(0x03ff)).toBe(1023 * 2 ** -24);
    expect(float16BitsToNumber(0x0400)).toBe(2 ** -14);
    expect(float16BitsToNumber(0x3555)).toBe(0.333251953125);
    expect(float16BitsToNumber(0x7c00)).toBe(Infinity);
    expect(float16BitsToNumber(0xfc00)).toBe(-Infinity);
    expect(float16BitsToNumber(0x7e00)).toBeNaN();
    expect(Object.is(float16BitsToNumber(0x8000), -0)).toBe(true);
  });

  it('round-trips every one of the 65536 bit patterns (NaNs stay NaN)', () => {
    for (let b = 0; b < 0x10000; b++) {
      const v = float16BitsToNumber(b);
      const back = numberToFloat16Bits(v);
      if (Number.isNaN(v)) expect(Number.isNaN(float16BitsToNumber(back))).toBe(true);
      else if (back !== b) expect.fail(`0x${b.toString(16)} → ${v} → 0x${back.toString(16)}`);
    }
  });

  it('rounds halfway cases to even, and just off them to nearest', () => {
    // Between each pair of neighbouring finite float16 values, including subnormals.
    for (let b = 0; b < 0x7bff; b += 7) {
      const lo = float16BitsToNumber(b);
      const hi = float16BitsToNumber(b + 1);
      const mid = (lo + hi) / 2; // exact in float64
      const even = b % 2 === 0 ? b : b + 1;
      expect(numberToFloat16Bits(mid)).toBe(even);
      expect(numberToFloat16Bits(-mid)).toBe(even | 0x8000);
      const step = (hi - lo) / 1024;
      expect(numberToFloat16Bits(mid - step)).toBe(b);
      expect(numberToFloat16Bits(mid + step)).toBe(b + 1);
    }
  });

  it('overflows to infinity exactly at 65520 (half a step above the largest finite)', () => {
    expect(numberToFloat16Bits(65504)).toBe(0x7bff);
    expect(numberToFloat16Bits(65519.99)).toBe(0x7bff);
    expect(numberToFloat16Bits(65520)).toBe(0x7c00);
    expect(numberToFloat16Bits(-1e9)).toBe(0xfc00);
    expect(numberToFloat16Bits(2 ** -25)).toBe(0); // tie between 0 and the smallest subnormal: even
    expect(numberToFloat16Bits(2 ** -25 * 1.000001)).toBe(1);
    expect(numberToFloat16Bits(1.5 * 2 ** -24)).toBe(2);
    expect(numberToFloat16Bits(-0)).toBe(0x8000);
  });

  it('agrees with the ONNX backend corpus casts FLOAT→FLOAT16 and DOUBLE→FLOAT16', () => {
    for (const test of ['test_cast_FLOAT_to_FLOAT16', 'test_cast_DOUBLE_to_FLOAT16']) {
      const input = tensorToFloat64(readTensorProto(`${CORPUS}/${test}/test_data_set_0/input_0.pb`));
      const expected = readTensorProto(`${CORPUS}/${test}/test_data_set_0/output_0.pb`);
      expect(expected.data_type).toBe(DataType.FLOAT16);
      const bits = new Uint16Array(Uint8Array.from(expected.raw_data!).buffer);
      expect(Array.from(toFloat16Bits(input))).toEqual(Array.from(bits));
    }
  });

  it('agrees with onnxruntime Cast float→float16→float on random values and exact ties', async () => {
    const values: number[] = [];
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 2000; i++) values.push((rand() - 0.5) * 2 ** (Math.floor(rand() * 44) - 26));
    for (let b = 0; b < 0x7bff; b += 97) values.push((float16BitsToNumber(b) + float16BitsToNumber(b + 1)) / 2);
    const x = Float32Array.from(values);
    const graph = makeGraph({
      node: [
        makeNode({
          op_type: 'Cast',
          input: ['x'],
          output: ['h'],
          attribute: [makeAttribute('to', { int: DataType.FLOAT16 })],
        }),
        makeNode({
          op_type: 'Cast',
          input: ['h'],
          output: ['y'],
          attribute: [makeAttribute('to', { int: DataType.FLOAT })],
        }),
      ],
      input: [makeValueInfo('x', DataType.FLOAT, [x.length])],
      output: [makeValueInfo('y', DataType.FLOAT, [x.length])],
    });
    const out = await runOrt(encodeModel(makeModel(graph, [makeOpset('', 17)])), { x: { data: x, dims: [x.length] } });
    expect(Array.from(out.y!.data)).toEqual(Array.from(roundToFloat16(x)));
  });
});

function tensor(dataType: number, dims: (number | Long)[], fill: Partial<TensorProto>): TensorProto {
  return Object.assign(makeTensorShell('t', [], dataType), { dims }, fill);
}

describe('reading tensor data', () => {
  it('counts elements (a scalar has one; Long dims work)', () => {
    expect(elementCount([])).toBe(1);
    expect(elementCount([2, 3, 4])).toBe(24);
    expect(elementCount([Long.fromNumber(5), 0])).toBe(0);
    expect(() => elementCount([-1])).toThrow(InputError);
  });

  it('reads FLOAT raw_data at an unaligned offset of a larger buffer', () => {
    const values = new Float32Array([1.5, -2.25, 3e-8]);
    const buf = new Uint8Array(13);
    buf.set(new Uint8Array(values.buffer), 1);
    const t = tensor(DataType.FLOAT, [3], { raw_data: buf.subarray(1) });
    expect(Array.from(tensorToFloat32(t))).toEqual(Array.from(values));
    expect(Array.from(tensorToFloat64(t))).toEqual(Array.from(values));
  });

  it('reads float_data, double raw_data and double_data', () => {
    expect(Array.from(tensorToFloat32(tensor(DataType.FLOAT, [2], { float_data: [0.5, 7] })))).toEqual([0.5, 7]);
    const d = new Float64Array([0.1, -1e300]);
    expect(Array.from(tensorToFloat64(tensor(DataType.DOUBLE, [2], { raw_data: new Uint8Array(d.buffer) })))).toEqual([
      0.1, -1e300,
    ]);
    expect(Array.from(tensorToFloat64(tensor(DataType.DOUBLE, [1, 2], { double_data: [0.1, 2] })))).toEqual([0.1, 2]);
    expect(tensorToFloat32(tensor(DataType.DOUBLE, [1], { double_data: [0.1] }))[0]).toBe(Math.fround(0.1));
  });

  it('reads FLOAT16 from raw_data and from int32_data', () => {
    const bits = new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7bff]);
    const expected = [1, -2, 2 ** -24, 65504];
    expect(
      Array.from(tensorToFloat64(tensor(DataType.FLOAT16, [4], { raw_data: new Uint8Array(bits.buffer) }))),
    ).toEqual(expected);
    expect(Array.from(tensorToFloat32(tensor(DataType.FLOAT16, [2, 2], { int32_data: Array.from(bits) })))).toEqual(
      expected,
    );
  });

  it('reads the corpus FLOAT16 tensor as its FLOAT cast says', () => {
    const half = tensorToFloat32(readTensorProto(`${CORPUS}/test_cast_FLOAT16_to_FLOAT/test_data_set_0/input_0.pb`));
    const full = tensorToFloat32(readTensorProto(`${CORPUS}/test_cast_FLOAT16_to_FLOAT/test_data_set_0/output_0.pb`));
    expect(Array.from(half)).toEqual(Array.from(full));
  });

  it('refuses wrong sizes, other element types and unloaded external data with InputError', () => {
    expect(() => tensorToFloat32(tensor(DataType.FLOAT, [3], { raw_data: new Uint8Array(8) }))).toThrow(
      /8 bytes of raw_data for 3 elements/,
    );
    expect(() => tensorToFloat32(tensor(DataType.FLOAT, [3], { float_data: [1, 2] }))).toThrow(/holds 2 values/);
    expect(() => tensorToFloat32(tensor(DataType.INT64, [1], { int64_data: [1] }))).toThrow(InputError);
    expect(() => tensorToFloat32(tensor(DataType.FLOAT, [1], { data_location: 1 }))).toThrow(/external data/);
  });
});

describe('making tensors', () => {
  it('makes FLOAT and FLOAT16 tensors that read back (float16 rounded once)', () => {
    const values = [0.1, -3, 1 / 3];
    const f = makeFloatTensor('w', values);
    expect(f.data_type).toBe(DataType.FLOAT);
    expect(f.dims).toEqual([3]);
    expect(Array.from(tensorToFloat32(f))).toEqual(Array.from(Float32Array.from(values)));
    const h = makeFloatTensor('w', values, DataType.FLOAT16, [3, 1]);
    expect(h.data_type).toBe(DataType.FLOAT16);
    expect(h.dims).toEqual([3, 1]);
    expect(Array.from(tensorToFloat64(h))).toEqual(values.map((v) => float16BitsToNumber(numberToFloat16Bits(v))));
  });
});
