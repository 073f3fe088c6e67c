/**
 * How far a float16 site's output may honestly sit from the reference computed on the float16 X we
 * can read.
 *
 * onnxruntime's CPU provider runs a float16 Conv in float32 between inserted Casts and then removes the
 * Cast pair float32 → float16 → float32 in front of the SGE's own Cast: the SGE reads the conv output
 * UNROUNDED, while the X exposed as a graph output is rounded to float16. Each x therefore stands for
 * an unknown value within half a float16 ulp of it, and SGE's normalization (t − μ)/σ amplifies that
 * by up to |t|/σ: measured on a 2×16×8×8 float16 site, 2e-3 relative at worst, four times the output's
 * own rounding, on a graph that is right (the same SGE fed a float16 graph input matches to 4.8e-4).
 *
 * Rather than widen the float16 tolerance for every element (which would hide a wrong operator), each
 * element gets this allowance: a first-order bound on |δy| for |δx| ≤ half an ulp of every input
 * element, propagated through the reference's own steps, times a safety factor of 2 for the
 * second-order terms. The element rule is then applied to what is left of |diff| after the allowance.
 */
import { SGE_EPS } from '../sge/reference.js';

/** Multiplies the first-order bound, covering second-order terms while perturbations are small. */
export const ALLOWANCE_SAFETY = 2;

/** Half the spacing of float16 values at `v` (the most a value rounded to `v` can have moved). */
export function float16HalfUlp(v: number): number {
  const a = Math.abs(v);
  if (!Number.isFinite(a)) return Infinity;
  if (a < 2 ** -14) return 2 ** -25; // subnormals: fixed spacing 2^-24
  const e = Math.floor(Math.log2(a));
  // log2 may round across a power of two; the next line corrects it exactly.
  const exp = 2 ** e > a ? e - 1 : 2 ** (e + 1) <= a ? e + 1 : e;
  return 2 ** (exp - 11);
}

/**
 * Per element of Y, the bound described above, for X of `shape` [N, C, ...spatial] and per-group
 * weight/bias (as referenceSge takes them).
 */
export function float16InputAllowance(
  x: ArrayLike<number>,
  shape: readonly number[],
  weight: ArrayLike<number>,
  bias: ArrayLike<number>,
): Float64Array {
  const [n, c] = shape as [number, number];
  const s = shape.slice(2).reduce((a, b) => a * b, 1);
  const g = weight.length;
  const k = c / g;
  const out = new Float64Array(x.length);
  const e = new Float64Array(k * s),
    m = new Float64Array(k),
    em = new Float64Array(k);
  const t = new Float64Array(s),
    et = new Float64Array(s);
  for (let ni = 0; ni < n; ni++) {
    for (let gi = 0; gi < g; gi++) {
      const base = (ni * c + gi * k) * s;
      for (let i = 0; i < k * s; i++) e[i] = float16HalfUlp(x[base + i]!);
      // channel means and their uncertainty
      for (let ci = 0; ci < k; ci++) {
        let sum = 0,
          esum = 0;
        for (let p = 0; p < s; p++) {
          sum += x[base + ci * s + p]!;
          esum += e[ci * s + p]!;
        }
        m[ci] = sum / s;
        em[ci] = esum / s;
      }
      // t_p = Σ_c x·m: |δt| ≤ Σ_c (e·|m| + |x|·δm)
      t.fill(0);
      et.fill(0);
      for (let ci = 0; ci < k; ci++) {
        for (let p = 0; p < s; p++) {
          const xv = x[base + ci * s + p]!;
          t[p] += xv * m[ci]!;
          et[p] += e[ci * s + p]! * Math.abs(m[ci]!) + Math.abs(xv) * em[ci]!;
        }
      }
      let mu = 0,
        emu = 0;
      for (let p = 0; p < s; p++) {
        mu += t[p]!;
        emu += et[p]!;
      }
      mu /= s;
      emu /= s;
      let ss = 0,
        dsum = 0;
      for (let p = 0; p < s; p++) {
        const d = t[p]! - mu;
        ss += d * d;
        dsum += Math.abs(d) * (et[p]! + emu);
      }
      const sigma = Math.sqrt(ss / (s - 1));
      const esigma = sigma > 0 ? dsum / ((s - 1) * sigma) : Infinity;
      const den = sigma + SGE_EPS;
      const w = weight[gi]!,
        b = bias[gi]!;
      for (let p = 0; p < s; p++) {
        const d = t[p]! - mu;
        // d = 0 with σ = 0 (constant input): the second term is 0·∞; the first already dominates.
        const etn = (et[p]! + emu) / den + (d === 0 ? 0 : (Math.abs(d) * esigma) / (den * den));
        const gate = 1 / (1 + Math.exp(-((d / den) * w + b)));
        const egate = gate * (1 - gate) * Math.abs(w) * etn;
        for (let ci = 0; ci < k; ci++) {
          const i = ci * s + p;
          out[base + i] = ALLOWANCE_SAFETY * (e[i]! * gate + Math.abs(x[base + i]!) * egate);
        }
      }
    }
  }
  return out;
}
