/**
 * Inputs that make a wrong SGE show. With the paper's weight 0 every variant of the normalization
 * gives the same output, and on ordinary activations σ is so much larger than eps that where eps goes
 * hardly matters. So the proof feeds the weight at large values (|w| in [5, 10], random signs) and
 * runs twice: on a standard normal X, where a biased std moves t̂ by 1/(2S) and a Tanh gate differs
 * everywhere, and on a low-amplitude X scaled so that the similarity's std is near eps (3·10⁻⁵): there
 * no eps, eps inside the square root (√(σ² + 10⁻⁵) ≈ 3·10⁻³) and a wrong eps change t̂ by tens of
 * percent. Scaling X keeps every float32 step relative, so a correct block stays within float32
 * tolerance of the float64 reference.
 */
import { createPrng, type Prng } from '../../validate/prng.js';
import { SGE_EPS } from '../reference.js';

/** Std of the similarity the low-amplitude input aims at. */
export const LOW_AMPLITUDE_STD = 3 * SGE_EPS;

/** One proof run's data, in float64 (rounded to the fed element type by the caller). */
export interface ProbeData {
  readonly label: string;
  readonly dims: readonly number[];
  readonly x: Float64Array;
  /** Values fed at the weight's and the bias's node inputs (the constants' own dims). */
  readonly weight: Float64Array;
  readonly bias: Float64Array;
}

/** Sizes given to X's unknown dims: the batch, then spatial dims in order. */
const PROOF_BATCH = [2, 1] as const;
const PROOF_SPATIAL = [7, 6, 5] as const;

/** X's dims for run `run` (0: normal, 1: low amplitude), unknown dims filled in. */
export function probeDims(shape: readonly (number | string | undefined)[], channels: number, run: number): number[] {
  return shape.map((d, i) => {
    if (typeof d === 'number') return d;
    if (i === 0) return PROOF_BATCH[run % PROOF_BATCH.length]!;
    if (i === 1) return channels;
    return PROOF_SPATIAL[(i - 2) % PROOF_SPATIAL.length]!;
  });
}

/** The two runs for a block. */
export function probeData(
  shape: readonly (number | string | undefined)[],
  channels: number,
  groups: number,
  weightCount: number,
  biasCount: number,
  seed: number,
): ProbeData[] {
  const prng = createPrng(seed);
  const params = () => ({
    weight: Float64Array.from(
      { length: weightCount },
      () => (prng.uniform() < 0.5 ? -1 : 1) * (5 + 5 * prng.uniform()),
    ),
    bias: Float64Array.from({ length: biasCount }, () => 8 * prng.uniform() - 4),
  });
  const normalDims = probeDims(shape, channels, 0);
  const normal = normalX(prng, normalDims);
  const lowDims = probeDims(shape, channels, 1);
  const low = normalX(prng, lowDims);
  const scale = Math.sqrt(LOW_AMPLITUDE_STD / medianSimilarityStd(low, lowDims, groups));
  for (let i = 0; i < low.length; i++) low[i] = low[i]! * scale;
  return [
    { label: 'a standard normal input', dims: normalDims, x: normal, ...params() },
    { label: 'a low-amplitude input (the similarity std near eps)', dims: lowDims, x: low, ...params() },
  ];
}

function normalX(prng: Prng, dims: readonly number[]): Float64Array {
  const x = new Float64Array(dims.reduce((a, b) => a * b, 1));
  for (let i = 0; i < x.length; i++) x[i] = prng.normal();
  return x;
}

/** Median over samples and groups of the std of t_p = Σ_c x_{c,p}·mean_p(x_c). */
function medianSimilarityStd(x: Float64Array, dims: readonly number[], groups: number): number {
  const [n, c] = dims as [number, number];
  const s = dims.slice(2).reduce((a, b) => a * b, 1);
  const k = c / groups;
  const stds: number[] = [];
  const t = new Float64Array(s);
  for (let ni = 0; ni < n; ni++) {
    for (let g = 0; g < groups; g++) {
      t.fill(0);
      for (let ci = 0; ci < k; ci++) {
        const row = ((ni * c + g * k + ci) * s) | 0;
        let mean = 0;
        for (let p = 0; p < s; p++) mean += x[row + p]!;
        mean /= s;
        for (let p = 0; p < s; p++) t[p] = t[p]! + x[row + p]! * mean;
      }
      let mu = 0;
      for (let p = 0; p < s; p++) mu += t[p]!;
      mu /= s;
      let ss = 0;
      for (let p = 0; p < s; p++) ss += (t[p]! - mu) ** 2;
      stds.push(Math.sqrt(ss / Math.max(s - 1, 1)));
    }
  }
  stds.sort((a, b) => a - b);
  return stds[stds.length >> 1] || 1;
}
