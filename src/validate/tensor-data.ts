/**
 * TensorProto → HostTensor for every element type validation feeds or reads (src/tensor/ reads the
 * floating-point ones only, without external data): raw_data, the typed repeated fields (float_data,
 * int32_data with float16/bool/int8… packed in it, int64_data, double_data, uint64_data) and external
 * data through the checked reader of src/external.
 */
import type { TensorProto } from '../codec/types.js';
import { isExternal } from '../external/location.js';
import type { ExternalDataReader } from '../external/reader.js';
import { tensorDims } from '../tensor/read.js';
import { InputError } from '../errors.js';
import { allocate, elemSize, elemTypeOf, elementCount, type HostData, type HostTensor } from './host-tensor.js';
import { dataTypeName } from '../tensor/type-name.js';

/**
 * The values of a tensor, reading external data through `reader` (the reference's length defaults to
 * the tensor's size by type and shape, as in onnxruntime). `what` names it in errors.
 * @throws InputError for an element type validation cannot read, data of the wrong size, or external
 *   data that cannot be read.
 */
export async function readTensorData(t: TensorProto, what: string, reader?: ExternalDataReader): Promise<HostTensor> {
  if (!isExternal(t)) return readTensor(t, what);
  const type = elemTypeOf(t.data_type);
  if (!type) throw new InputError(`${what}: element type ${dataTypeName(t.data_type)} is not supported by validation`);
  if (!reader) throw new InputError(`${what}: stored as external data, and the model's folder is not known`);
  const dims = tensorDims(t);
  const count = elementCount(dims);
  const bytes = await reader.read(t, what, count * elemSize(type));
  return { type, dims, data: fromBytes(bytes, type, count, what) };
}

/**
 * The values of a tensor stored in the model (external data: {@link readTensorData}). `what` names it
 * in errors.
 * @throws InputError for an element type validation cannot read, data of the wrong size, or external data.
 */
export function readTensor(t: TensorProto, what: string): HostTensor {
  const type = elemTypeOf(t.data_type);
  if (!type) throw new InputError(`${what}: element type ${dataTypeName(t.data_type)} is not supported by validation`);
  const dims = tensorDims(t);
  const count = elementCount(dims);
  if (isExternal(t)) throw new InputError(`${what}: stored as external data, and the model's folder is not known`);
  if (Object.hasOwn(t, 'raw_data') && t.raw_data) {
    return { type, dims, data: fromBytes(t.raw_data, type, count, what) };
  }
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
  // Checked before allocating: the dims of an untrusted file may claim any number of elements.
  if (source.length !== count) {
    throw new InputError(`${what}: holds ${source.length} values for shape [${dims.join(', ')}] (${count} elements)`);
  }
  const data = allocate(type, count);
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
