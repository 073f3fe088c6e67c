/**
 * The values of a floating-point TensorProto, from whichever field holds them: `raw_data` (little
 * endian), `float_data`, `double_data`, or `int32_data` (float16 bit patterns, one per int32).
 */
import { DataLocation, DataType, type Int64, type TensorProto } from '../codec/types.js';
import { int64ToNumber } from '../codec/int64.js';
import { InputError } from '../errors.js';
import { float16BitsToNumber } from './float16.js';
import { dataTypeName } from './type-name.js';

/** Number of elements of a tensor with these dims (1 for a scalar). */
export function elementCount(dims: readonly Int64[]): number {
  let n = 1;
  for (const d of dims) {
    const v = int64ToNumber(d);
    if (v < 0) throw new InputError(`a tensor has a negative dimension (${v})`);
    n *= v;
  }
  if (!Number.isSafeInteger(n)) throw new InputError(`a tensor has too many elements (${n})`);
  return n;
}

/** A tensor's dims as numbers. */
export function tensorDims(t: TensorProto): number[] {
  return t.dims.map((d) => int64ToNumber(d));
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const BYTES: Readonly<Record<number, number>> = { [DataType.FLOAT]: 4, [DataType.FLOAT16]: 2, [DataType.DOUBLE]: 8 };

function describe(t: TensorProto): string {
  return t.name ? `tensor '${t.name}'` : 'a tensor';
}

function has(t: TensorProto, field: keyof TensorProto): boolean {
  return Object.hasOwn(t, field);
}

/**
 * Copies little-endian bytes into a fresh, aligned typed array (raw_data is often a view at an odd
 * offset of the model's bytes, so it cannot be viewed as floats in place).
 */
function readRaw(
  raw: Uint8Array,
  dataType: number,
  count: number,
  t: TensorProto,
): Float32Array | Float64Array | Uint16Array {
  const size = BYTES[dataType]!;
  if (raw.byteLength !== count * size) {
    throw new InputError(
      `${describe(t)} has ${raw.byteLength} bytes of raw_data for ${count} elements (${count * size} expected)`,
      'the model file is damaged or was written by a faulty exporter',
    );
  }
  const out =
    dataType === DataType.FLOAT
      ? new Float32Array(count)
      : dataType === DataType.DOUBLE
        ? new Float64Array(count)
        : new Uint16Array(count);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(raw);
    return out;
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let i = 0; i < count; i++) {
    out[i] =
      dataType === DataType.FLOAT
        ? view.getFloat32(i * 4, true)
        : dataType === DataType.DOUBLE
          ? view.getFloat64(i * 8, true)
          : view.getUint16(i * 2, true);
  }
  return out;
}

/** The values as numbers in whatever precision the tensor holds (float16 decoded exactly). */
function readValues(t: TensorProto): { values: ArrayLike<number>; count: number } {
  const dataType = t.data_type ?? 0;
  if (!(dataType in BYTES)) {
    throw new InputError(
      `${describe(t)} has element type ${dataTypeName(dataType)}; only float32, float16 and float64 are read here`,
    );
  }
  if (t.data_location === DataLocation.EXTERNAL) {
    throw new InputError(
      `${describe(t)} is stored as external data that was not loaded`,
      'load the model with its external data',
    );
  }
  const count = elementCount(t.dims);
  if (has(t, 'raw_data') && t.raw_data) {
    const raw = readRaw(t.raw_data, dataType, count, t);
    if (dataType !== DataType.FLOAT16) return { values: raw, count };
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = float16BitsToNumber(raw[i]!);
    return { values: out, count };
  }
  const field =
    dataType === DataType.FLOAT ? t.float_data : dataType === DataType.DOUBLE ? t.double_data : t.int32_data;
  if (field.length !== count) {
    throw new InputError(
      `${describe(t)} holds ${field.length} values for dims [${tensorDims(t).join(', ')}] (${count} elements)`,
      'the model file is damaged or was written by a faulty exporter',
    );
  }
  if (dataType !== DataType.FLOAT16) return { values: field, count };
  const out = new Float64Array(count);
  // Float16 in int32_data: the low 16 bits of each int32 are the bit pattern.
  for (let i = 0; i < count; i++) out[i] = float16BitsToNumber(field[i]! & 0xffff);
  return { values: out, count };
}

/**
 * A FLOAT, FLOAT16 or DOUBLE tensor's values as float32 (DOUBLE values are rounded to float32).
 * @throws InputError for another element type, external data, or data whose size disagrees with dims.
 */
export function tensorToFloat32(t: TensorProto): Float32Array {
  const { values } = readValues(t);
  return values instanceof Float32Array ? values : Float32Array.from(values);
}

/**
 * A FLOAT, FLOAT16 or DOUBLE tensor's values as float64 (exact for all three).
 * @throws InputError as {@link tensorToFloat32}.
 */
export function tensorToFloat64(t: TensorProto): Float64Array {
  const { values } = readValues(t);
  return values instanceof Float64Array ? values : Float64Array.from(values);
}
