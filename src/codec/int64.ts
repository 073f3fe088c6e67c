/** int64 fields decode as exact `Long`s; these convert at the boundary, with a range check. */
import type { Int64 } from './types.js';

/** Converts an int64 field value to a number; throws a RangeError when it is not exactly representable. */
export function int64ToNumber(v: Int64 | undefined | null, fallback = 0): number {
  if (v == null) return fallback;
  if (typeof v === 'number') return v;
  const n = v.toNumber();
  if (!Number.isSafeInteger(n)) throw new RangeError(`int64 value ${v.toString()} does not fit a JavaScript number`);
  return n;
}
