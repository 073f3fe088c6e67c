/**
 * The plan of a validation: which SGE sites the rewritten model has, which of them can be checked
 * site by site, and the in-memory variants to run (see model-copy.ts):
 * 1. the original, with every site's conv output as an extra graph output, and the SGE blocks it already
 *    had bypassed as in variant 3 (like with like: a model that had sites before the rewrite is compared
 *    with those sites taken out too, not with the rewritten model stripped of them);
 * 2. the rewritten model, with every site's X and Y as extra outputs → Y is compared with
 *    referenceSge(X, weight, bias);
 * 3. the rewritten model with every SGE block replaced by Identity(X) → Y, and every X as an extra
 *    output → X must equal the original's conv output (bit for bit, in practice) and the final outputs
 *    the original's. In the real rewritten model a site downstream of another sees activations the
 *    upstream SGE changed, so "X equals the original's conv output" can only be checked with the
 *    blocks taken out;
 * 4. (after the checks) both models as they are, 1 intra-op thread: latency, final outputs, shapes.
 * Nothing runs here.
 */
import type { ModelProto } from '../codec/types.js';
import { ModelIndex } from '../graph/model-index.js';
import { findInjectedSites, type InjectedSite } from '../sge/detect.js';
import { withExtraOutputs, withSitesBypassed, type ExtraOutput } from './model-copy.js';

/** What {@link planValidation} decides. */
export interface ValidationPlan {
  /** Every SGE site of the rewritten model. */
  readonly sites: readonly InjectedSite[];
  /** Well-formed main-graph sites: their tensors can be exposed and read. */
  readonly checkable: readonly InjectedSite[];
  /** Site outputs the original's main graph does not have (the name should be its conv output's). */
  readonly missingInOriginal: ReadonlySet<string>;
  readonly rewrittenIndex: ModelIndex;
  /** Variant 1. */
  readonly originalExposed: ModelProto;
  /** Variant 2. */
  readonly rewrittenExposed: ModelProto;
  /** Variant 3; undefined when a site is malformed (then the bypass check is skipped). */
  readonly bypassed: ModelProto | undefined;
}

/** Plans the runs; `sites` are the rewritten model's (findInjectedSites). */
export function planValidation(
  original: ModelProto,
  rewritten: ModelProto,
  sites: readonly InjectedSite[] = findInjectedSites(rewritten),
): ValidationPlan {
  const checkable = sites.filter((s) => s.scope.depth === 0 && !s.problem);
  const origIndex = new ModelIndex(original);
  const rewrittenIndex = new ModelIndex(rewritten);
  // Only main-graph tensors can be exposed as outputs of the original.
  const missingInOriginal = new Set(checkable.filter((s) => origIndex.source(s.y)?.scope.depth !== 0).map((s) => s.y));
  const exposable = checkable.filter((s) => !missingInOriginal.has(s.y));
  const typeOfSite = (s: InjectedSite) => rewrittenIndex.initializer(s.weight)?.data_type;
  const origExtra: ExtraOutput[] = exposable.map((s) => ({ name: s.y, dataType: typeOfSite(s) }));
  const rewrExtra: ExtraOutput[] = checkable.flatMap((s) => [
    { name: s.x, dataType: typeOfSite(s) },
    { name: s.y, dataType: typeOfSite(s) },
  ]);
  const bypassExtra: ExtraOutput[] = exposable.map((s) => ({ name: s.x, dataType: typeOfSite(s) }));
  const sitesHaveProblems = sites.some((s) => s.problem);
  return {
    sites,
    checkable,
    missingInOriginal,
    rewrittenIndex,
    originalExposed: withExtraOutputs(withSitesBypassed(original, findInjectedSites(original)), origExtra),
    rewrittenExposed: withExtraOutputs(rewritten, rewrExtra),
    bypassed: sitesHaveProblems ? undefined : withExtraOutputs(withSitesBypassed(rewritten, sites), bypassExtra),
  };
}
