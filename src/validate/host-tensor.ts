/**
 * A tensor held in JavaScript memory: the form inputs, outputs and exposed intermediates take between
 * onnxruntime, the comparisons and the reference SGE.
 */
import { DataType } from '../codec/types.js';
import { float16BitsToNumber } from '../tensor/float16.js';

/** Element types validation can feed and read (onnxruntime-node's names). */
export type ElemType =
  | 'float32'
  | 'float16'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool';

/** The typed array of each element type; float16 is carried as its bit patterns. */
export type HostData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** A dense tensor in C order. */
export interface HostTensor {
  readonly type: ElemType;
  readonly dims: readonly number[];
  readonly data: HostData;
}

const BY_DATA_TYPE: Record<number, ElemType> = {
  [DataType.FLOAT]: 'float32',
  [DataType.FLOAT16]: 'float16',
  [DataType.DOUBLE]: 'float64',
  [DataType.INT8]: 'int8',
  [DataType.UINT8]: 'uint8',
  [DataType.INT16]: 'int16',
  [DataType.UINT16]: 'uint16',
  [DataType.INT32]: 'int32',
  [DataType.UINT32]: 'uint32',
  [DataType.INT64]: 'int64',
  [DataType.UINT64]: 'uint64',
  [DataType.BOOL]: 'bool',
};

/** The element type of an ONNX `DataType` value, or undefined when validation cannot handle it. */
export function elemTypeOf(dataType: number | undefined): ElemType | undefined {
  return dataType === undefined ? undefined : BY_DATA_TYPE[dataType];
}

/** The ONNX `DataType` value of an element type. */
export function dataTypeOf(type: ElemType): number {
  for (const [k, v] of Object.entries(BY_DATA_TYPE)) if (v === type) return Number(k);
  throw new TypeError(`unknown element type ${type}`);
}

/** Bytes per element. */
export function elemSize(type: ElemType): number {
  switch (type) {
    case 'int8':
    case 'uint8':
    case 'bool':
      return 1;
    case 'float16':
    case 'int16':
    case 'uint16':
      return 2;
    case 'float32':
    case 'int32':
    case 'uint32':
      return 4;
    default:
      return 8;
  }
}

/** A zero-filled array for `count` elements of `type`. */
export function allocate(type: ElemType, count: number): HostData {
  switch (type) {
    case 'float32':
      return new Float32Array(count);
    case 'float64':
      return new Float64Array(count);
    case 'float16':
    case 'uint16':
      return new Uint16Array(count);
    case 'int8':
      return new Int8Array(count);
    case 'uint8':
    case 'bool':
      return new Uint8Array(count);
    case 'int16':
      return new Int16Array(count);
    case 'int32':
      return new Int32Array(count);
    case 'uint32':
      return new Uint32Array(count);
    case 'int64':
      return new BigInt64Array(count);
    case 'uint64':
      return new BigUint64Array(count);
  }
}

/** Number of elements of a shape (1 for a scalar). */
export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** `1x3x224x224` style text of a shape ('scalar' for rank 0). */
export function formatDims(dims: readonly number[]): string {
  return dims.length === 0 ? 'scalar' : dims.join('x');
}

/** The values of a floating-point tensor as float64 (float16 decoded from its bits). */
export function toFloat64(t: HostTensor): Float64Array {
  if (t.type === 'float16') {
    const bits = t.data as Uint16Array;
    const out = new Float64Array(bits.length);
    for (let i = 0; i < bits.length; i++) out[i] = float16BitsToNumber(bits[i]!);
    return out;
  }
  if (t.data instanceof BigInt64Array || t.data instanceof BigUint64Array) return Float64Array.from(t.data, Number);
  return Float64Array.from(t.data as ArrayLike<number>);
}
