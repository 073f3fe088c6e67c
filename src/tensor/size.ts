/** How many bytes a tensor's data takes by its type and shape (what an external data range must hold). */
import type { TensorProto } from '../codec/types.js';

/** Bits per element of each fixed-size ONNX data type (STRING has none). */
const BITS: Readonly<Record<number, number>> = {
  1: 32, // FLOAT
  2: 8, // UINT8
  3: 8, // INT8
  4: 16, // UINT16
  5: 16, // INT16
  6: 32, // INT32
  7: 64, // INT64
  9: 8, // BOOL
  10: 16, // FLOAT16
  11: 64, // DOUBLE
  12: 32, // UINT32
  13: 64, // UINT64
  14: 64, // COMPLEX64
  15: 128, // COMPLEX128
  16: 16, // BFLOAT16
  17: 8, // FLOAT8E4M3FN
  18: 8, // FLOAT8E4M3FNUZ
  19: 8, // FLOAT8E5M2
  20: 8, // FLOAT8E5M2FNUZ
  21: 4, // UINT4
  22: 4, // INT4
  23: 4, // FLOAT4E2M1
  24: 8, // FLOAT8E8M0
  25: 2, // UINT2
  26: 2, // INT2
};

/**
 * The bytes `t`'s data needs by its data type and dims (sub-byte types packed, rounded up), or
 * undefined when that is not known: a string or unknown type, or a dimension that is negative or not a
 * safe integer. A shape whose byte count passes 2^53 gives Infinity (no file holds it).
 */
export function dataByteLength(t: TensorProto): number | undefined {
  const bits = BITS[t.data_type ?? 0];
  if (bits === undefined) return undefined;
  let count = 1;
  for (const d of t.dims) {
    const n = typeof d === 'number' ? d : d.toNumber();
    if (!Number.isSafeInteger(n) || n < 0) return undefined;
    count *= n;
  }
  const bytes = Math.ceil((count * bits) / 8);
  return Number.isSafeInteger(bytes) ? bytes : Number.POSITIVE_INFINITY;
}
