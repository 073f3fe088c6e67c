/**
 * Polygraphy-style closeness: an element fails only when BOTH its absolute difference exceeds atol
 * AND its relative difference (to the reference) exceeds rtol. NaN matches only NaN.
 */

/** The outcome of {@link compareArrays}. */
export interface Comparison {
  readonly ok: boolean;
  /** Elements that failed. */
  readonly failures: number;
  /** Where NaN-ness differs. */
  readonly nanMismatches: number;
  readonly maxAbs: number;
  readonly maxRel: number;
  /** First failing index, or -1. */
  readonly firstFailure: number;
}

/** Compares `actual` with the reference `expected`. */
export function compareArrays(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: { rtol: number; atol: number },
): Comparison {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let failures = 0;
  let nanMismatches = 0;
  let maxAbs = 0;
  let maxRel = 0;
  let firstFailure = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(a) || Number.isNaN(e)) {
      if (Number.isNaN(a) !== Number.isNaN(e)) {
        nanMismatches++;
        failures++;
        if (firstFailure < 0) firstFailure = i;
      }
      continue;
    }
    const d = Math.abs(a - e);
    const r = e === 0 ? (d === 0 ? 0 : Infinity) : d / Math.abs(e);
    maxAbs = Math.max(maxAbs, d);
    if (d > tol.atol) maxRel = Math.max(maxRel, r);
    if (d > tol.atol && r > tol.rtol) {
      failures++;
      if (firstFailure < 0) firstFailure = i;
    }
  }
  return { ok: failures === 0, failures, nanMismatches, maxAbs, maxRel, firstFailure };
}

/** A one-line account of a comparison, for assertion messages. */
export function describeComparison(c: Comparison, actual: ArrayLike<number>, expected: ArrayLike<number>): string {
  const at =
    c.firstFailure >= 0 ? `; first at ${c.firstFailure}: ${actual[c.firstFailure]} vs ${expected[c.firstFailure]}` : '';
  return `${c.failures} failing (${c.nanMismatches} NaN mismatches), max |d| ${c.maxAbs.toExponential(3)}, max rel (|d|>atol) ${c.maxRel.toExponential(3)}${at}`;
}
