import { describe, expect, it } from 'vitest';
import {
  bitwiseEqual,
  compareValues,
  defaultTolerance,
  FLOAT16_TOLERANCE,
  FLOAT32_TOLERANCE,
} from '../../src/validate/compare.js';

const tol = { rtol: 1e-4, atol: 1e-5 };

describe("compareValues: Polygraphy's element rule", () => {
  it('fails an element only when both atol and rtol are exceeded', () => {
    // abs 2e-5 > atol but rel 2e-6 < rtol: passes (large value)
    expect(compareValues([10.00002], [10], tol).failures).toBe(0);
    // rel 1 > rtol but abs 5e-6 < atol: passes (tiny value)
    expect(compareValues([1e-5], [5e-6], tol).failures).toBe(0);
    // both exceeded: fails
    const c = compareValues([1, 2.001, 3], [1, 2, 3], tol);
    expect(c).toMatchObject({ count: 3, failures: 1, firstFailure: { index: 1, actual: 2.001, expected: 2 } });
    expect(c.maxAbs).toBeCloseTo(0.001, 12);
    expect(c.maxRel).toBeCloseTo(0.0005, 12);
  });

  it('matches NaN only where the reference is NaN, and counts them', () => {
    expect(compareValues([NaN, 1], [NaN, 1], tol)).toMatchObject({ failures: 0, expectedNaN: 1, unexpectedNaN: 0 });
    expect(compareValues([1, 1], [NaN, 1], tol)).toMatchObject({
      failures: 1,
      expectedNaN: 1,
      firstFailure: { index: 0 },
    });
    expect(compareValues([NaN], [1], tol)).toMatchObject({ failures: 1, unexpectedNaN: 1 });
  });

  it('matches an infinity only with the same infinity', () => {
    expect(compareValues([Infinity], [Infinity], tol).failures).toBe(0);
    expect(compareValues([-Infinity], [Infinity], tol).failures).toBe(1);
    expect(compareValues([1e30], [Infinity], tol).failures).toBe(1);
  });

  it('judges a zero reference on atol alone', () => {
    expect(compareValues([5e-6], [0], tol).failures).toBe(0);
    expect(compareValues([2e-5], [0], tol).failures).toBe(1);
    expect(compareValues([2e-5], [0], tol).maxRel).toBe(0); // no relative error against 0
  });

  it('subtracts a per-element allowance before applying the rule, keeping raw maxima', () => {
    const c = compareValues([1.01, 2.01], [1, 2], tol, [0.02, 0]);
    expect(c.failures).toBe(1);
    expect(c.firstFailure!.index).toBe(1);
    expect(c.maxAbs).toBeCloseTo(0.01, 12);
  });

  it('refuses arrays of different lengths', () => {
    expect(() => compareValues([1], [1, 2], tol)).toThrow(RangeError);
  });

  it('has the documented defaults', () => {
    expect(FLOAT32_TOLERANCE).toEqual({ rtol: 1e-4, atol: 1e-5 });
    expect(defaultTolerance('float32')).toBe(FLOAT32_TOLERANCE);
    expect(defaultTolerance('float16')).toBe(FLOAT16_TOLERANCE);
    // float16's rtol covers two roundings to an 11-bit significand with a factor-2 margin.
    expect(FLOAT16_TOLERANCE.rtol).toBeGreaterThanOrEqual(2 * 2 * 2 ** -11);
    expect(FLOAT16_TOLERANCE.atol).toBeGreaterThan(2 ** -14);
  });
});

describe('bitwiseEqual', () => {
  it('compares bytes, so -0 and 0 differ and identical NaNs match', () => {
    expect(bitwiseEqual(new Float32Array([1, NaN]), new Float32Array([1, NaN]))).toBe(true);
    expect(bitwiseEqual(new Float32Array([0]), new Float32Array([-0]))).toBe(false);
    expect(bitwiseEqual(new Float32Array([1]), new Float32Array([1, 2]))).toBe(false);
  });

  it('finds a single differing byte anywhere, in aligned and unaligned views of any length (as Buffer.equals)', () => {
    const base = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
    for (const length of [0, 1, 3, 4, 7, 8, 13, 32]) {
      for (const [offsetA, offsetB] of [
        [0, 0],
        [4, 8],
        [1, 0],
        [3, 5],
      ] as const) {
        const a = new Uint8Array(base.buffer.slice(0), offsetA, length);
        for (let flip = -1; flip < length; flip++) {
          const copy = new Uint8Array(64);
          copy.set(a, offsetB);
          if (flip >= 0) copy[offsetB + flip]! ^= 0x10;
          const b = new Uint8Array(copy.buffer, offsetB, length);
          expect(bitwiseEqual(a, b), `length ${length}, offsets ${offsetA}/${offsetB}, byte ${flip}`).toBe(
            Buffer.from(a).equals(Buffer.from(b)),
          );
        }
      }
    }
  });
});
