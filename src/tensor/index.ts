/** Reading and writing tensor data; float16 conversions. */
export {
  FLOAT16_MAX,
  FLOAT16_EPSILON,
  float16BitsToNumber,
  numberToFloat16Bits,
  toFloat16Bits,
  float16BitsToFloat32,
  roundToFloat16,
} from './float16.js';
export { elementCount, tensorDims, tensorToFloat32, tensorToFloat64 } from './read.js';
export { makeFloatTensor, type FloatElemType } from './make.js';
