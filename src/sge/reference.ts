/**
 * The SGE operator in float64, written straight from the paper's reference PyTorch module (Li, Hu &
 * Yang 2019, arXiv 1905.09646): the yardstick every expansion and every validation is compared with.
 * test/sge/reference.test.ts checks it against that module's outputs in fixtures/sge-op.
 */

/** eps of the reference module, added to the standard deviation (after the square root). */
export const SGE_EPS = 1e-5;

/**
 * Spatial Group-wise Enhance of `x`, in float64.
 *
 * `x` is laid out row-major with `shape` = [N, C, ...spatial] (rank ≥ 3: 1-D, 2-D and 3-D maps alike,
 * S = the product of the spatial dims). `weight` and `bias` hold one value per group; G = their length
 * and must divide C. Per sample and group: channel means over space, each position's dot product with
 * that mean vector, normalization over the S positions with the UNBIASED standard deviation (S − 1)
 * plus 1e-5 after the square root, per-group affine, and a sigmoid gate on every channel of the group.
 * With S = 1 the standard deviation is 0/0, so the whole output is NaN, as in PyTorch.
 *
 * @throws TypeError when the shape, the data length or the parameter lengths disagree.
 */
export function referenceSge(
  x: ArrayLike<number>,
  shape: readonly number[],
  weight: ArrayLike<number>,
  bias: ArrayLike<number>,
): Float64Array {
  if (shape.length < 3)
    throw new TypeError(`referenceSge: shape must be [N, C, ...spatial] (rank ≥ 3), got [${shape.join(', ')}]`);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TypeError(`referenceSge: dims must be non-negative integers, got [${shape.join(', ')}]`);
  }
  const [n, c] = shape as [number, number];
  const s = shape.slice(2).reduce((a, b) => a * b, 1);
  const g = weight.length;
  if (bias.length !== g) throw new TypeError(`referenceSge: weight has ${g} values but bias has ${bias.length}`);
  if (g === 0 || c % g !== 0) throw new TypeError(`referenceSge: ${g} groups do not divide ${c} channels`);
  if (x.length !== n * c * s)
    throw new TypeError(`referenceSge: x has ${x.length} values, shape [${shape.join(', ')}] needs ${n * c * s}`);

  const k = c / g;
  const y = new Float64Array(x.length);
  const mean = new Float64Array(k);
  const t = new Float64Array(s);
  for (let ni = 0; ni < n; ni++) {
    for (let gi = 0; gi < g; gi++) {
      const base = (ni * c + gi * k) * s; // first element of this (sample, group)
      // 1. channel means over space
      for (let ci = 0; ci < k; ci++) {
        let sum = 0;
        const row = base + ci * s;
        for (let p = 0; p < s; p++) sum += x[row + p]!;
        mean[ci] = sum / s;
      }
      // 2. similarity of each position to the mean vector
      t.fill(0);
      for (let ci = 0; ci < k; ci++) {
        const row = base + ci * s;
        const m = mean[ci]!;
        for (let p = 0; p < s; p++) t[p] += x[row + p]! * m;
      }
      // 3. normalization over positions: unbiased std, eps after the square root
      let mu = 0;
      for (let p = 0; p < s; p++) mu += t[p]!;
      mu /= s;
      let ss = 0;
      for (let p = 0; p < s; p++) ss += (t[p]! - mu) ** 2;
      const std = Math.sqrt(ss / (s - 1)); // S = 1: 0/0 = NaN, as torch.std
      const denom = std + SGE_EPS;
      // 4-5. affine, sigmoid gate on every channel of the group
      const w = weight[gi]!;
      const b = bias[gi]!;
      for (let p = 0; p < s; p++) {
        const a = ((t[p]! - mu) / denom) * w + b;
        t[p] = 1 / (1 + Math.exp(-a));
      }
      for (let ci = 0; ci < k; ci++) {
        const row = base + ci * s;
        for (let p = 0; p < s; p++) y[row + p] = x[row + p]! * t[p]!;
      }
    }
  }
  return y;
}
