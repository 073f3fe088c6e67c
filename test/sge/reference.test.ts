import { describe, expect, it } from 'vitest';
import { referenceSge, SGE_EPS } from '../../src/sge/reference.js';
import { compareArrays, describeComparison } from '../helpers/compare.js';
import { loadSgeOpCase, SGE_OP_CASES } from '../helpers/tensors.js';

/*
 * PyTorch's y is float32 computed in float32; the reference is float64 on the same float32 inputs.
 * Outputs reach |y| ≈ 4, where one float32 ulp is 4.8e-7, so atol 1e-6 is about two ulps of the
 * largest values; rtol 1e-5 (≈ 84 ulps) covers float32 accumulation over up to 3136 positions. Measured:
 * max |d| 9.4e-7, max relative 1.3e-6 (the 56×56 case); rtol 1e-6 would already fail there.
 */
const TOL = { rtol: 1e-5, atol: 1e-6 };

describe('referenceSge against PyTorch (fixtures/sge-op)', () => {
  for (const name of SGE_OP_CASES) {
    it(`matches ${name}`, () => {
      const c = loadSgeOpCase(name);
      expect(c.x.dims).toEqual(c.meta.shape);
      expect(c.weight.length).toBe(c.meta.groups);
      const y = referenceSge(c.x.data, c.x.dims, c.weight, c.bias);
      const r = compareArrays(y, c.y, TOL);
      expect(r.ok, describeComparison(r, y, c.y)).toBe(true);
      // NaN exactly where PyTorch has NaN (the 1×1 case: every element).
      let nanMismatch = 0;
      let nans = 0;
      for (let i = 0; i < y.length; i++) {
        if (Number.isNaN(y[i]) !== Number.isNaN(c.y[i])) nanMismatch++;
        if (Number.isNaN(c.y[i])) nans++;
      }
      expect(nanMismatch).toBe(0);
      expect(nans > 0).toBe(c.meta.y_has_nan);
    });
  }
});

describe('referenceSge by hand', () => {
  it('computes a 1×2×3 case worked out on paper (unbiased std, eps after the root)', () => {
    // channel 0 = [1, 2, 3], channel 1 = [0, 0, 3]: means [2, 1]; t = 2·x0 + 1·x1 = [2, 4, 9]; μ = 5;
    // t − μ = [−3, −1, 4]; Σ(t − μ)² = 26; σ = √(26 / 2) = √13.
    const x = [1, 2, 3, 0, 0, 3];
    const w = 0.7;
    const b = -0.2;
    const y = referenceSge(x, [1, 2, 3], [w], [b]);
    const sig = (a: number) => 1 / (1 + Math.exp(-a));
    const gate = [-3, -1, 4].map((d) => sig((d / (Math.sqrt(13) + 1e-5)) * w + b));
    const expected = [1 * gate[0]!, 2 * gate[1]!, 3 * gate[2]!, 0, 0, 3 * gate[2]!];
    y.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i]!, 14);
    });
    // A biased std (√(26/3)) would move the first element visibly.
    expect(Math.abs(y[0]! - sig((-3 / Math.sqrt(26 / 3)) * w + b))).toBeGreaterThan(1e-3);
  });

  it('paper init (weight 0, bias 1) gates every element by sigmoid(1)', () => {
    const x = Array.from({ length: 2 * 8 * 15 }, (_, i) => Math.sin(i) * 3);
    const y = referenceSge(x, [2, 8, 3, 5], new Array(4).fill(0), new Array(4).fill(1));
    const s1 = 1 / (1 + Math.exp(-1));
    y.forEach((v, i) => {
      expect(v).toBeCloseTo(x[i]! * s1, 14);
    });
  });

  it('constant input gives the gate sigmoid(bias): t − μ = 0 and σ = 0, so t̂ = 0 / 1e-5', () => {
    const y = referenceSge(new Array(1 * 4 * 9).fill(0.5), [1, 4, 3, 3], [5, -5], [0.3, -2]);
    expect(SGE_EPS).toBe(1e-5);
    y.forEach((v, i) => {
      expect(v).toBeCloseTo(0.5 / (1 + Math.exp(i < 18 ? -0.3 : 2)), 15);
    });
  });

  it('treats 1-D, 2-D and 3-D maps alike: only the product of the spatial dims matters', () => {
    const x = Array.from({ length: 2 * 6 * 60 }, (_, i) => Math.cos(i * 0.37) + (i % 7) * 0.1);
    const w = [0.5, -1.5, 2];
    const b = [0.1, 0.2, -0.3];
    const flat = referenceSge(x, [2, 6, 60], w, b);
    expect(Array.from(referenceSge(x, [2, 6, 6, 10], w, b))).toEqual(Array.from(flat));
    expect(Array.from(referenceSge(x, [2, 6, 3, 4, 5], w, b))).toEqual(Array.from(flat));
  });

  it('is NaN everywhere when S = 1, as torch.std of one value', () => {
    const y = referenceSge([1, 2, 0, 4], [1, 4, 1], [1, 1], [0, 0]);
    expect(Array.from(y).every(Number.isNaN)).toBe(true);
  });

  it('refuses inconsistent arguments', () => {
    expect(() => referenceSge([1, 2], [1, 2], [1], [1])).toThrow(/rank ≥ 3/);
    expect(() => referenceSge(new Array(12).fill(0), [1, 6, 2], [1, 1, 1, 1], [0, 0, 0, 0])).toThrow(/do not divide/);
    expect(() => referenceSge(new Array(11).fill(0), [1, 6, 2], [1, 1], [0, 0])).toThrow(/needs 12/);
    expect(() => referenceSge(new Array(12).fill(0), [1, 6, 2], [1, 1], [0])).toThrow(/bias has 1/);
  });
});
