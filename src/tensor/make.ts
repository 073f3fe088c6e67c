/** New floating-point tensors from plain numbers, in the element type a site needs. */
import { DataType, type TensorProto } from '../codec/types.js';
import { makeTensor } from '../graph/factory.js';
import { toFloat16Bits } from './float16.js';

/** Element types the SGE works in. */
export type FloatElemType = typeof DataType.FLOAT | typeof DataType.FLOAT16;

/**
 * A FLOAT or FLOAT16 tensor holding `values` in raw_data. Values are rounded once to the element
 * type (float16: to nearest, ties to even). `dims` defaults to [values.length].
 */
export function makeFloatTensor(
  name: string,
  values: ArrayLike<number>,
  elemType: FloatElemType = DataType.FLOAT,
  dims?: number[],
): TensorProto {
  const shape = dims ?? [values.length];
  if (elemType === DataType.FLOAT16) return makeTensor(name, shape, toFloat16Bits(values), DataType.FLOAT16);
  if (elemType === DataType.FLOAT) return makeTensor(name, shape, Float32Array.from(values));
  throw new TypeError(`makeFloatTensor: element type ${String(elemType)} is not FLOAT (1) or FLOAT16 (10)`);
}
