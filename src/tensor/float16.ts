/**
 * IEEE 754 binary16 ⇄ number. Node 20 has no Float16Array, so float16 data travels as Uint16Array bit
 * patterns. Both directions are exact: every float16 is a float64, and a number is rounded to float16
 * ONCE (round to nearest, ties to even), never through float32 first, so no double rounding.
 */

/** Largest finite float16 (2^15 · (2 − 2^-10)). */
export const FLOAT16_MAX = 65504;
/** Spacing of float16 just above 1: relative precision is 2^-11 (half of it) for rounding. */
export const FLOAT16_EPSILON = 2 ** -10;

/** The number a float16 bit pattern stands for (exact). */
export function float16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero or subnormal
  if (exp === 0x1f) return frac ? Number.NaN : sign * Infinity;
  return sign * (1024 + frac) * 2 ** (exp - 25);
}

/** `v` rounded to an integer, ties to even. Exact for the scaled values below (all < 2^12). */
function roundHalfEven(v: number): number {
  const r = Math.floor(v);
  const diff = v - r;
  if (diff > 0.5 || (diff === 0.5 && r % 2 === 1)) return r + 1;
  return r;
}

/**
 * The float16 bit pattern nearest to `value` (ties to even); beyond the largest finite float16 by half
 * a step or more it is ±Infinity; NaN becomes the quiet NaN 0x7e00 (sign kept).
 */
export function numberToFloat16Bits(value: number): number {
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  if (Number.isNaN(value)) return 0x7e00;
  const a = Math.abs(value);
  if (a === Infinity) return sign | 0x7c00;
  if (a < 2 ** -14) {
    // Subnormal range: units of 2^-24. Scaling by a power of two is exact; a result of 1024 is the
    // smallest normal, whose bit pattern is exactly 1024, so no special case.
    return sign | roundHalfEven(a * 2 ** 24);
  }
  // a = 2^e · (1 + f): the exponent from the float64 bits, so no log2 rounding.
  const e = exponentOf(a);
  if (e > 15) return sign | 0x7c00;
  let m = roundHalfEven(a * 2 ** (10 - e)); // in [1024, 2048]
  let be = e + 15;
  if (m === 2048) {
    m = 1024;
    be += 1;
  }
  if (be >= 0x1f) return sign | 0x7c00;
  return sign | (be << 10) | (m - 1024);
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // index of the high word

/** floor(log2(a)) for a normal positive float64, read from its exponent bits. */
function exponentOf(a: number): number {
  f64[0] = a;
  return ((u32[HI]! >>> 20) & 0x7ff) - 1023;
}

/** Float16 bit patterns of `values` (each rounded once, ties to even). */
export function toFloat16Bits(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = numberToFloat16Bits(values[i]!);
  return out;
}

/** The float32 values of float16 bit patterns (exact: float16 ⊂ float32). */
export function float16BitsToFloat32(bits: ArrayLike<number>): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = float16BitsToNumber(bits[i]!);
  return out;
}

/** `values` rounded to the nearest float16 and back: what a float16 tensor of them holds. */
export function roundToFloat16(values: ArrayLike<number>): Float32Array {
  return float16BitsToFloat32(toFloat16Bits(values));
}
