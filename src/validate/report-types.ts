/** The validation report: what {@link validateSge} returns and the CLI prints (as a table or as JSON). */
import type { Tolerance } from './compare.js';

/** Outcome of one site. */
export type SiteVerdict = 'pass' | 'fail' | 'not-checked';

/** How a site's input compared with the original model's conv output. */
export interface SiteInputCheck {
  /** Largest |X − original conv output|. */
  readonly maxAbs: number;
  /** Elements failing the tolerance rule. */
  readonly failures: number;
  /** True when X and the original conv output are the same bits (expected: same kernels, same inputs). */
  readonly bitwiseEqual: boolean;
}

/** One SGE site. Numbers are null where the site could not be measured. */
export interface SiteReport {
  readonly site: string;
  readonly form: 'function' | 'inline';
  /** `main`, or the subgraph path. */
  readonly graph: string;
  /** Element type of X at run time ('float32', 'float16'), null when not run. */
  readonly elemType: string | null;
  /** Runtime shape of X (= Y). */
  readonly shape: readonly number[] | null;
  /** G: the length of the site's weight. */
  readonly groups: number | null;
  /** Y against the float64 reference SGE of X: largest absolute and relative error. */
  readonly maxAbs: number | null;
  readonly maxRel: number | null;
  /** Elements of Y failing the tolerance rule, of `elements`. */
  readonly failures: number | null;
  readonly elements: number | null;
  /** Elements where the reference is NaN (1×1 maps); they pass only where Y is NaN too. */
  readonly referenceNaN: number;
  /** X against the original model's conv output (with the SGE blocks bypassed). */
  readonly input: SiteInputCheck | null;
  /** Tolerance Y was judged with. */
  readonly tolerance: Tolerance | null;
  /** Multiply-accumulates of this site by the stated formula. */
  readonly macs: number | null;
  readonly verdict: SiteVerdict;
  /** Why it failed or was not checked, or notes on a pass (empty when there is nothing to say). */
  readonly reason: string;
}

/** One graph output of the original model. */
export interface OutputReport {
  readonly name: string;
  /** The rewritten model has it, with the same element type and declared shape. */
  readonly kept: boolean;
  /** What differs, when not kept (or when the runtime shapes differ). */
  readonly problem?: string;
  /** Declared type and shape in the original, e.g. `float32 [N, 10]`. */
  readonly declared: string;
  /**
   * Largest |rewritten − original| of the final values (information: SGE is meant to change them); NaN
   * when either model's value is NaN somewhere (see `nan`).
   */
  readonly drift: number | null;
  /**
   * Present when the original computes the same SGE as the rewritten model (the blocks `fuse` replaced):
   * the final values then must agree within tolerance; elements failing that, of `elements`.
   */
  readonly agreement?: { readonly failures: number; readonly elements: number };
  /** NaN elements of this output in each model, when there are any. */
  readonly nan?: { readonly original: number; readonly rewritten: number };
  /** Largest |bypassed − original|: with the SGE blocks taken out, the rewritten model must match. */
  readonly bypassMaxAbs: number | null;
}

/** One input both models ran on. */
export interface InputReport {
  readonly name: string;
  readonly type: string;
  readonly shape: readonly number[];
  /** `random normal (seed 0)`, `random … with default dims`, or the file it came from. */
  readonly source: string;
}

/** Timings of both models on the same inputs. */
export interface LatencyReport {
  readonly runs: number;
  /** Intra-op threads of the timing sessions (1). */
  readonly threads: number;
  /** Median wall time of one run, milliseconds. */
  readonly originalMs: number;
  readonly rewrittenMs: number;
  /** rewrittenMs / originalMs. */
  readonly ratio: number;
}

/** The whole report. */
export interface ValidationReport {
  /** True when every check passed. */
  readonly passed: boolean;
  /** Why it did not pass, one sentence each, naming sites and outputs. */
  readonly failures: readonly string[];
  readonly sites: readonly SiteReport[];
  readonly inputs: readonly InputReport[];
  readonly outputs: readonly OutputReport[];
  readonly latency: LatencyReport | null;
  /** Initializer elements present in the rewritten model and not in the original. */
  readonly parametersAdded: number;
  /** Sum of the sites' MACs, the formula, and the paper's figure to compare with. */
  readonly macs: { readonly total: number; readonly formula: string; readonly paper: string };
  /** Other things worth saying (defaults chosen, checks skipped and why). */
  readonly notes: readonly string[];
}
