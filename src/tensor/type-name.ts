/**
 * One name for each ONNX element type in every message (list, inject, validate, fuse): onnxruntime's
 * names where it has one (float32, float64, int64, ...), the ONNX enum's name in lower case for the rest
 * (bfloat16, float8e4m3fn, ...), and `DataType N` for a number no ONNX version defines.
 */
const NAMES: readonly string[] = [
  'undefined',
  'float32',
  'uint8',
  'int8',
  'uint16',
  'int16',
  'int32',
  'int64',
  'string',
  'bool',
  'float16',
  'float64',
  'uint32',
  'uint64',
  'complex64',
  'complex128',
  'bfloat16',
  'float8e4m3fn',
  'float8e4m3fnuz',
  'float8e5m2',
  'float8e5m2fnuz',
  'uint4',
  'int4',
  'float4e2m1',
  'float8e8m0',
  'uint2',
  'int2',
];

/** The name of a `TensorProto.DataType` value for messages (absent counts as 0, "undefined"). */
export function dataTypeName(dataType: number | undefined): string {
  const t = dataType ?? 0;
  return NAMES[t] ?? `DataType ${t}`;
}
