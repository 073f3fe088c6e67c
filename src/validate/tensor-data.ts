/**
 * TensorProto → HostTensor for every element type validation feeds or reads (src/tensor/ reads the
 * floating-point ones only, without external data): raw_data, the typed repeated fields (float_data,
 * int32_data with float16/bool/int8… packed in it, int64_data, double_data, uint64_data) and external
 * data through a caller-supplied reader.
 */
import type { TensorProto } from '../codec/types.js';
import { DataLocation } from '../codec/types.js';
import { tensorDims } from '../tensor/read.js';
import { InputError } from '../errors.js';
import { allocate, elemSize, elemTypeOf, elementCount, type HostData, type HostTensor } from './host-tensor.js';

/** Reads `length` bytes (all to the end of the file when undefined) at `offset` of an external data file. */
export type ExternalReader = (location: string, offset: number, length: number | undefined) => Uint8Array;

/**
 * The values of a tensor. `what` names it in errors. External data needs `readExternal`.
 * @throws InputError for an element type validation cannot read, or data of the wrong size.
 */
export function readTensor(t: TensorProto, what: string, readExternal?: ExternalReader): HostTensor {
  const type = elemTypeOf(t.data_type);
  if (!type) throw new InputError(`${what}: element type ${t.data_type ?? 0} is not supported by validation`);
  const dims = tensorDims(t);
  const count = elementCount(dims);
  if (t.data_location === DataLocation.EXTERNAL) {
    if (!readExternal) throw new InputError(`${what}: stored as external data, and the model's folder is not known`);
    const entry = (k: string) => t.external_data.find((e) => e.key === k)?.value;
    const location = entry('location');
    if (!location) throw new InputError(`${what}: external data without a location`);
    const offset = Number(entry('offset') ?? 0);
    const length = entry('length') === undefined ? count * elemSize(type) : Number(entry('length'));
    return { type, dims, data: fromBytes(readExternal(location, offset, length), type, count, what) };
  }
  if (Object.hasOwn(t, 'raw_data') && t.raw_data) {
    return { type, dims, data: fromBytes(t.raw_data, type, count, what) };
  }
  const data = allocate(type, count);
  const source: ArrayLike<unknown> =
    type === 'float32'
      ? t.float_data
      : type === 'float64'
        ? t.double_data
        : type === 'int64'
          ? t.int64_data
          : type === 'uint32' || type === 'uint64'
            ? t.uint64_data
            : t.int32_data; // float16 (bits), bool, int8/16, uint8/16, int32
  if (source.length !== count) {
    throw new InputError(`${what}: holds ${source.length} values for shape [${dims.join(', ')}] (${count} elements)`);
  }
  for (let i = 0; i < count; i++) {
    const v = source[i];
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
      data[i] = BigInt(typeof v === 'number' ? v : String(v));
    } else {
      (data as Exclude<HostData, BigInt64Array | BigUint64Array>)[i] = typeof v === 'number' ? v : Number(String(v));
    }
  }
  return { type, dims, data };
}

/** Little-endian bytes → a fresh, aligned typed array (copied: raw_data views may be unaligned). */
export function fromBytes(bytes: Uint8Array, type: HostTensor['type'], count: number, what: string): HostData {
  const size = elemSize(type);
  if (bytes.byteLength !== count * size) {
    throw new InputError(
      `${what}: ${bytes.byteLength} bytes of data for ${count} ${type} elements (${count * size} expected)`,
    );
  }
  const data = allocate(type, count);
  new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(bytes);
  return data;
}
