/**
 * Judging one SGE site from the outputs of the runs (see plan.ts for what each variant exposes).
 */
import { referenceSge } from '../sge/reference.js';
import type { InjectedSite } from '../sge/detect.js';
import { bitwiseEqual, compareValues, type Comparison, type Tolerance } from './compare.js';
import { siteMacs } from './cost.js';
import { float16InputAllowance } from './fp16-allowance.js';
import { formatDims, toFloat64, type HostTensor } from './host-tensor.js';
import type { SiteReport } from './report-types.js';
import { fmt, toleranceFor, type ValidationSettings } from './settings.js';
import type { SiteParams } from './site-params.js';

/** What a site is judged on. */
export interface SiteContext {
  /** Each checkable site's parameters, or why they could not be read. */
  readonly params: ReadonlyMap<string, SiteParams | string>;
  /** Y of each float16 site run alone, or why it could not be. */
  readonly isolated: ReadonlyMap<string, HostTensor | string>;
  /** Outputs of the rewritten model with site tensors exposed. */
  readonly rewrOut: Record<string, HostTensor>;
  /** Outputs of the original with conv outputs exposed. */
  readonly origOut: Record<string, HostTensor>;
  /** Outputs of the rewritten model with its blocks bypassed (undefined when that run was skipped). */
  readonly bypassOut: Record<string, HostTensor> | undefined;
  readonly missingInOriginal: ReadonlySet<string>;
  /** For each site (by Y), the original's tensor its X must equal (see ValidationPlan.originalX). */
  readonly originalX: ReadonlyMap<string, string>;
  readonly settings: ValidationSettings;
}

/**
 * The verdict on one site: Y against the float64 reference SGE of the X the model computed (float16:
 * of the site run alone, and in the full model within the input-rounding allowance), and X with the
 * blocks bypassed against the original's conv output.
 */
export function checkSite(site: InjectedSite, ctx: SiteContext): SiteReport {
  const read = readSite(site, ctx);
  if ('verdict' in read) return read;
  const { x, shape, withShape } = read;
  const tolerance = toleranceFor(x.type, ctx.settings);
  const output = judgeOutput(site, read, tolerance, ctx);
  const input = judgeInput(site, tolerance, ctx);
  const { cmp } = output;
  const reasons = [...output.reasons, ...input.reasons];
  const notes = [...output.notes];
  if (cmp.expectedNaN > 0) {
    notes.push(
      `the reference is NaN in ${cmp.expectedNaN} of ${cmp.count} elements (${whyReferenceNaN(output.xs, shape)})${cmp.failures === 0 ? '; Y is NaN exactly there' : ''}`,
    );
  }
  const checked = input.checked;
  if (checked && !checked.bitwiseEqual && checked.failures === 0)
    notes.push(
      `X matches the original's conv output within tolerance but not bit for bit (max abs ${fmt(checked.maxAbs)})`,
    );
  return {
    ...withShape,
    maxAbs: cmp.maxAbs,
    maxRel: cmp.maxRel,
    failures: cmp.failures,
    elements: cmp.count,
    referenceNaN: cmp.expectedNaN,
    input: checked,
    tolerance,
    verdict: reasons.length ? 'fail' : 'pass',
    reason: [...reasons, ...notes].join('; '),
  };
}

/** What a site's judgement starts from, once its tensors and parameters are there and fit. */
interface SiteTensors {
  readonly x: HostTensor;
  readonly y: HostTensor;
  readonly shape: number[];
  readonly weight: ArrayLike<number>;
  readonly bias: ArrayLike<number>;
  /** The report's fields known so far. */
  readonly withShape: Omit<SiteReport, 'verdict' | 'reason'>;
}

/**
 * The site's X, Y and parameters from the runs, or the report of a site that cannot be judged (a
 * malformed site, one inside a subgraph, missing outputs or parameters, types or shapes that do not fit).
 */
function readSite(site: InjectedSite, ctx: SiteContext): SiteTensors | SiteReport {
  const base = {
    site: site.name,
    form: site.mode,
    graph: site.scope.path,
    elemType: null,
    shape: null,
    groups: null,
    maxAbs: null,
    maxRel: null,
    failures: null,
    elements: null,
    referenceNaN: 0,
    input: null,
    tolerance: null,
    macs: null,
  };
  if (site.problem) return { ...base, verdict: 'fail', reason: site.problem };
  if (site.scope.depth > 0) {
    return {
      ...base,
      verdict: 'not-checked',
      reason: `inside a subgraph (${site.scope.path}): its tensors cannot be exposed as graph outputs; the model ran`,
    };
  }
  const x = ctx.rewrOut[site.x],
    y = ctx.rewrOut[site.y];
  if (!x || !y)
    return { ...base, verdict: 'fail', reason: `onnxruntime did not return X '${site.x}' or Y '${site.y}'` };
  const shape = [...x.dims];
  const params = ctx.params.get(site.name) ?? 'the parameters were not read';
  if (typeof params === 'string') return { ...base, elemType: x.type, shape, verdict: 'fail', reason: params };
  const { weight, bias } = params;
  const groups = weight.length;
  const withShape = { ...base, elemType: x.type, shape, groups, macs: siteMacs(shape) };
  if (x.type !== 'float32' && x.type !== 'float16')
    return { ...withShape, verdict: 'fail', reason: `X is ${x.type}; SGE sites are float32 or float16` };
  if (y.type !== x.type || formatDims(y.dims) !== formatDims(x.dims)) {
    return {
      ...withShape,
      verdict: 'fail',
      reason: `Y is ${y.type} ${formatDims(y.dims)} but X is ${x.type} ${formatDims(x.dims)}`,
    };
  }
  if (shape.length < 3 || groups === 0 || shape[1]! % groups !== 0) {
    return { ...withShape, verdict: 'fail', reason: `${groups} groups do not fit X of shape ${formatDims(shape)}` };
  }
  return { x, y, shape, weight, bias, withShape };
}

/**
 * Y against the float64 reference SGE of X. float32: Y in the full model. float16: Y of the site run
 * alone on the same X (exact float16 input) against the reference, and Y in the full model within the
 * input-rounding allowance (onnxruntime may have fed the site the unrounded conv output there).
 */
function judgeOutput(
  site: InjectedSite,
  t: SiteTensors,
  tolerance: Tolerance,
  ctx: SiteContext,
): { cmp: Comparison; xs: ArrayLike<number>; reasons: string[]; notes: string[] } {
  const { x, y, shape, weight, bias } = t;
  const reasons: string[] = [];
  const notes: string[] = [];
  // float32 values are read as they are (every float32 is a float64): no copies of the site's tensors.
  const xs = numbers(x);
  const reference = referenceSge(xs, shape, weight, bias);
  const describe = (c: Comparison, extra = '') => {
    const f = c.firstFailure!;
    return `differs from the reference SGE in ${c.failures} of ${c.count} elements (max abs ${fmt(c.maxAbs)}, max rel ${fmt(c.maxRel)}; first at index ${f.index}: ${f.actual} vs ${f.expected}; rtol ${tolerance.rtol}, atol ${tolerance.atol}${extra})`;
  };
  const alone = ctx.isolated.get(site.name);
  const inSitu =
    x.type === 'float16'
      ? compareValues(numbers(y), reference, tolerance, float16InputAllowance(xs, shape, weight, bias))
      : compareValues(numbers(y), reference, tolerance);
  let cmp = inSitu;
  if (alone && typeof alone !== 'string') {
    cmp = compareValues(toFloat64(alone), reference, tolerance);
    if (cmp.failures > 0) reasons.push(`Y (site run alone on the model's X) ${describe(cmp)}`);
    if (inSitu.failures > 0)
      reasons.push(`Y in the full model ${describe(inSitu, ', beyond the float16 input-rounding allowance')}`);
    if (!cmp.failures && !inSitu.failures)
      notes.push(
        `float16: judged on the site run alone on the model's X; in the full model (where onnxruntime may skip rounding the conv output) max rel ${fmt(inSitu.maxRel)}, within the input-rounding allowance`,
      );
  } else {
    if (typeof alone === 'string')
      notes.push(
        `float16: the site could not be run alone (${alone}); judged in the full model within the input-rounding allowance`,
      );
    if (inSitu.failures > 0)
      reasons.push(
        `Y ${describe(inSitu, x.type === 'float16' ? ', beyond the float16 input-rounding allowance' : '')}`,
      );
  }
  return { cmp, xs, reasons, notes };
}

/** The input check: X with the blocks bypassed against the original's conv output. */
function judgeInput(
  site: InjectedSite,
  tolerance: Tolerance,
  ctx: SiteContext,
): { checked: SiteReport['input']; reasons: string[] } {
  const reasons: string[] = [];
  let checked: SiteReport['input'] = null;
  const orig = ctx.originalX.get(site.y) ?? site.y;
  // The conv output under Y's name (inject), or the input of the block the site replaced (fuse).
  const what = orig === site.y ? 'conv output' : 'block input';
  if (ctx.missingInOriginal.has(site.y)) {
    reasons.push(
      orig === site.y
        ? `the original model has no tensor '${site.y}' (the site's output should carry the conv output's original name)`
        : `the original model's main graph has no tensor '${orig}' (the input of the block the site replaced)`,
    );
  } else if (ctx.bypassOut) {
    const xb = ctx.bypassOut[site.x],
      xo = ctx.origOut[orig];
    if (!xb || !xo) reasons.push(`onnxruntime did not return '${site.x}' (bypassed) or '${orig}' (original)`);
    else if (xb.type !== xo.type || formatDims(xb.dims) !== formatDims(xo.dims)) {
      reasons.push(
        `X is ${xb.type} ${formatDims(xb.dims)} but the original's '${orig}' is ${xo.type} ${formatDims(xo.dims)}`,
      );
    } else {
      // Equal bits pass the element rule with nothing to measure (NaN matches NaN, an infinity itself),
      // as they usually are: the float comparison is for the tensors that differ.
      const same = bitwiseEqual(xb.data, xo.data);
      const c = same ? { maxAbs: 0, failures: 0 } : compareValues(toFloat64(xb), toFloat64(xo), tolerance);
      checked = { maxAbs: c.maxAbs, failures: c.failures, bitwiseEqual: same };
      if (c.failures > 0)
        reasons.push(
          `X differs from the original model's ${what} '${orig}' in ${c.failures} elements (max abs ${fmt(c.maxAbs)})`,
        );
    }
  }
  return { checked, reasons };
}

/** A site tensor's values as numbers: float32 data itself, anything else as float64. */
function numbers(t: HostTensor): ArrayLike<number> {
  return t.type === 'float32' ? (t.data as Float32Array) : toFloat64(t);
}

/**
 * Why the reference SGE of X is NaN somewhere: a group's std over a single position is 0/0 (a 1×1 map),
 * or X itself holds NaN or ±Infinity (from the inputs, or overflow before the site), which no
 * normalization survives.
 */
function whyReferenceNaN(xs: ArrayLike<number>, shape: readonly number[]): string {
  let nonFinite = 0;
  for (let i = 0; i < xs.length; i++) if (!Number.isFinite(xs[i]!)) nonFinite++;
  if (nonFinite > 0)
    return `X holds ${nonFinite} NaN or infinite values, carried in from the inputs or an overflow before the site`;
  const positions = shape.slice(2).reduce((a, d) => a * d, 1);
  if (positions === 1) return 'a 1×1 map: std over one position is 0/0';
  return 'X is finite and the map is larger than 1×1: the reference itself overflowed';
}
