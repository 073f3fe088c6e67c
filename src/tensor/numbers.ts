/**
 * The values of a small numeric TensorProto of any integer, boolean or floating type, as float64
 * numbers: what the constant folding of shape arithmetic needs (int64 shapes, float32 scalars).
 */
import { DataLocation, DataType, type TensorProto } from '../codec/types.js';
import { int64ToNumber } from '../codec/int64.js';
import { InputError } from '../errors.js';
import { elementCount, tensorToFloat64 } from './read.js';

/** Element types read by {@link tensorNumbers}. */
const INTEGER_BYTES: Readonly<Record<number, number>> = {
  [DataType.UINT8]: 1,
  [DataType.INT8]: 1,
  [DataType.UINT16]: 2,
  [DataType.INT16]: 2,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
  [DataType.BOOL]: 1,
  [DataType.UINT32]: 4,
  [DataType.UINT64]: 8,
};

/** True for the integer and boolean element types. */
export function isIntegerType(dataType: number): boolean {
  return dataType in INTEGER_BYTES;
}

/**
 * A tensor's values as numbers (int64 beyond 2^53 are refused rather than rounded).
 * @throws InputError for strings, complex or bfloat16 data, external data, more than `limit` elements,
 *   or data whose size disagrees with the dims.
 */
export function tensorNumbers(t: TensorProto, limit = Number.POSITIVE_INFINITY): Float64Array {
  const dataType = t.data_type ?? 0;
  const count = elementCount(t.dims);
  if (count > limit) throw new InputError(`tensor '${t.name ?? ''}' has ${count} elements, more than ${limit}`);
  if (!isIntegerType(dataType)) return tensorToFloat64(t);
  if (t.data_location === DataLocation.EXTERNAL)
    throw new InputError(`tensor '${t.name ?? ''}' is stored as external data that was not loaded`);
  const out = new Float64Array(count);
  const raw = Object.hasOwn(t, 'raw_data') ? t.raw_data : undefined;
  if (raw && raw.byteLength > 0) {
    const size = INTEGER_BYTES[dataType]!;
    if (raw.byteLength !== count * size)
      throw new InputError(`tensor '${t.name ?? ''}' has ${raw.byteLength} bytes of raw_data for ${count} elements`);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < count; i++) out[i] = readInteger(view, i * size, dataType);
    return out;
  }
  const field =
    dataType === DataType.INT64 ? t.int64_data : dataType === DataType.UINT64 ? t.uint64_data : t.int32_data;
  if (field.length !== count)
    throw new InputError(`tensor '${t.name ?? ''}' holds ${field.length} values for ${count} elements`);
  for (let i = 0; i < count; i++) {
    try {
      out[i] = int64ToNumber(field[i]);
    } catch (err) {
      throw new InputError(`tensor '${t.name ?? ''}' holds an integer too large for exact arithmetic`, undefined, {
        cause: err,
      });
    }
  }
  return out;
}

function readInteger(view: DataView, at: number, dataType: number): number {
  switch (dataType) {
    case DataType.UINT8:
    case DataType.BOOL:
      return view.getUint8(at);
    case DataType.INT8:
      return view.getInt8(at);
    case DataType.UINT16:
      return view.getUint16(at, true);
    case DataType.INT16:
      return view.getInt16(at, true);
    case DataType.INT32:
      return view.getInt32(at, true);
    case DataType.UINT32:
      return view.getUint32(at, true);
    default: {
      const v = dataType === DataType.UINT64 ? view.getBigUint64(at, true) : view.getBigInt64(at, true);
      const n = Number(v);
      if (!Number.isSafeInteger(n))
        throw new InputError(`an integer tensor holds ${v}, too large for exact arithmetic`);
      return n;
    }
  }
}
