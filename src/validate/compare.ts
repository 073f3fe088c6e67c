/**
 * Element-wise comparison with Polygraphy's rule: an element fails only where BOTH
 * |actual − expected| > atol AND |actual − expected| / |expected| > rtol. NaN matches only where the
 * expected value is NaN (the reference SGE is NaN on 1×1 maps); those matches are counted so the report
 * can say so. ±Infinity matches only the same infinity.
 */
import type { ElemType } from './host-tensor.js';

/** Relative and absolute tolerance of the element rule. */
export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

/** float32 outputs against the float64 reference: Polygraphy's defaults for this project. */
export const FLOAT32_TOLERANCE: Tolerance = { rtol: 1e-4, atol: 1e-5 };

/**
 * float16 outputs against the float64 reference.
 * - rtol 2e-3: float16 has an 11-bit significand, so one rounding to float16 moves a normal value by at
 *   most half an ulp, 2^-11 ≈ 4.9e-4 relative. An expansion may round Y's path to float16 twice (the
 *   float32 gate cast to float16, then the float16 product X·gate), ≤ 2^-10 ≈ 9.8e-4, plus the float32
 *   statistics (~1e-6). 2e-3 is that bound with a factor-2 margin, still 5× tighter than the gap a
 *   wrong operator makes (biased std moves outputs by ~1e-2 on 7×7 maps; a HardSigmoid gate differs
 *   from sigmoid by ~3e-2 relative). The rounding of the site's INPUT is not in this figure: it is
 *   allowed for element by element (fp16-allowance.ts), since its effect depends on the data.
 * - atol 1e-4: relative error means nothing for float16 subnormals (|y| < 2^-14 ≈ 6.1e-5, spacing
 *   2^-24); atol just above that threshold lets those through on absolute terms, and every element of
 *   normal magnitude is still judged by rtol.
 */
export const FLOAT16_TOLERANCE: Tolerance = { rtol: 2e-3, atol: 1e-4 };

/** The default tolerance for an element type (float32's for anything but float16). */
export function defaultTolerance(type: ElemType): Tolerance {
  return type === 'float16' ? FLOAT16_TOLERANCE : FLOAT32_TOLERANCE;
}

/** What a comparison found. */
export interface Comparison {
  /** Elements compared. */
  readonly count: number;
  /** Elements that failed the rule. */
  readonly failures: number;
  /** Largest |actual − expected| over elements where both are finite numbers (0 when none). */
  readonly maxAbs: number;
  /** Largest |actual − expected| / |expected| over those with expected ≠ 0 (0 when none). */
  readonly maxRel: number;
  /** Elements where expected is NaN (they pass only if actual is NaN too). */
  readonly expectedNaN: number;
  /** Elements where actual is NaN but expected is not (failures). */
  readonly unexpectedNaN: number;
  /** The first failing element, C-order flat index. */
  readonly firstFailure?: { readonly index: number; readonly actual: number; readonly expected: number };
}

/**
 * Compares `actual` with `expected` element by element. `allowance`, when given, is a per-element
 * amount of |diff| known to be explained by something other than the computation under test (the
 * float16 input rounding, see fp16-allowance.ts); the rule is applied to |diff| minus it. The reported
 * maxAbs/maxRel stay the raw differences.
 * @throws RangeError when the lengths differ.
 */
export function compareValues(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  allowance?: ArrayLike<number>,
): Comparison {
  if (actual.length !== expected.length || (allowance && allowance.length !== expected.length)) {
    throw new RangeError(`compareValues: ${actual.length} values against ${expected.length} expected`);
  }
  let failures = 0,
    maxAbs = 0,
    maxRel = 0,
    expectedNaN = 0,
    unexpectedNaN = 0;
  let firstFailure: Comparison['firstFailure'];
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!,
      e = expected[i]!;
    let failed: boolean;
    if (Number.isNaN(e)) {
      expectedNaN++;
      failed = !Number.isNaN(a);
    } else if (Number.isNaN(a)) {
      unexpectedNaN++;
      failed = true;
    } else if (!Number.isFinite(a) || !Number.isFinite(e)) {
      failed = a !== e;
      if (failed) maxAbs = Infinity;
    } else {
      const diff = Math.abs(a - e);
      const rel = e === 0 ? (diff === 0 ? 0 : Infinity) : diff / Math.abs(e);
      if (diff > maxAbs) maxAbs = diff;
      if (e !== 0 && rel > maxRel) maxRel = rel;
      const excess = allowance ? diff - allowance[i]! : diff; // NaN allowance → no excess → judged as is below
      const judged = Number.isNaN(excess) ? diff : Math.max(0, excess);
      failed = judged > tol.atol && (e === 0 ? judged > 0 : judged / Math.abs(e) > tol.rtol);
    }
    if (failed) {
      if (failures === 0) firstFailure = { index: i, actual: a, expected: e };
      failures++;
    }
  }
  return {
    count: actual.length,
    failures,
    maxAbs,
    maxRel,
    expectedNaN,
    unexpectedNaN,
    ...(firstFailure ? { firstFailure } : {}),
  };
}

/** True when two arrays hold the same bytes (bit-for-bit equal tensors). */
export function bitwiseEqual(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.byteLength !== b.byteLength) return false;
  // Four bytes at a time where both views allow it (float32 tensors always do): a quarter of the steps.
  const words = a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 ? a.byteLength >> 2 : 0;
  if (words > 0) {
    const x4 = new Int32Array(a.buffer, a.byteOffset, words);
    const y4 = new Int32Array(b.buffer, b.byteOffset, words);
    for (let i = 0; i < words; i++) if (x4[i] !== y4[i]) return false;
  }
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = words * 4; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Largest |a − b| (NaN differences skipped); NaN when the element counts differ. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.NaN;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > m) m = d;
  }
  return m;
}
