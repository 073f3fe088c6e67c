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
 * When the original already computes a site in another form (an exported block `fuse` replaced, see
 * ReplacedBlock), that block is bypassed in variant 1 too, the original's X is the block's input, and the
 * final outputs of the two models must agree (both compute SGE there).
 * Nothing runs here.
 */
import type { ModelProto } from '../codec/types.js';
import { ModelIndex } from '../graph/model-index.js';
import { findInjectedSites, type InjectedSite } from '../sge/detect.js';
import {
  withBlocksBypassed,
  withExtraOutputs,
  withSitesBypassed,
  type ExtraOutput,
  type ReplacedBlock,
} from './model-copy.js';

/** What {@link planValidation} decides. */
export interface ValidationPlan {
  /** Every SGE site of the rewritten model. */
  readonly sites: readonly InjectedSite[];
  /** Well-formed main-graph sites: their tensors can be exposed and read. */
  readonly checkable: readonly InjectedSite[];
  /** Site outputs whose tensor in the original (see originalX) its main graph does not have. */
  readonly missingInOriginal: ReadonlySet<string>;
  /**
   * For each site (by Y), the original's tensor its X must equal: the conv output, which carries Y's
   * name in the original (inject), or the input of the block the site replaced (fuse).
   */
  readonly originalX: ReadonlyMap<string, string>;
  /**
   * True when the original computes every site too (a replaced block, or a site of its own): the final
   * outputs must then agree within tolerance, not merely be reported as drift.
   */
  readonly sameFunction: boolean;
  readonly rewrittenIndex: ModelIndex;
  /** Variant 1. */
  readonly originalExposed: ModelProto;
  /** Variant 2. */
  readonly rewrittenExposed: ModelProto;
  /** Variant 3; undefined when a site is malformed (then the bypass check is skipped). */
  readonly bypassed: ModelProto | undefined;
}

/**
 * Plans the runs; `sites` are the rewritten model's (findInjectedSites), `replaced` the original's
 * blocks that some of them replaced (fuse).
 */
export function planValidation(
  original: ModelProto,
  rewritten: ModelProto,
  sites: readonly InjectedSite[] = findInjectedSites(rewritten),
  replaced: readonly ReplacedBlock[] = [],
): ValidationPlan {
  const checkable = sites.filter((s) => s.scope.depth === 0 && !s.problem);
  const origIndex = new ModelIndex(original);
  const rewrittenIndex = new ModelIndex(rewritten);
  const origSites = findInjectedSites(original);
  // Only blocks the original has, whose output a site of the rewritten model writes, count.
  const blocks = replaced.filter((b) => origIndex.producer(b.output) && sites.some((s) => s.y === b.output));
  const blockInput = new Map(blocks.map((b) => [b.output, b.input]));
  const originalX = new Map(sites.map((s) => [s.y, blockInput.get(s.y) ?? s.y]));
  // Only main-graph tensors can be exposed as outputs of the original.
  const missingInOriginal = new Set(
    checkable.filter((s) => origIndex.source(originalX.get(s.y)!)?.scope.depth !== 0).map((s) => s.y),
  );
  const exposable = checkable.filter((s) => !missingInOriginal.has(s.y));
  const typeOfSite = (s: InjectedSite) => rewrittenIndex.initializer(s.weight)?.data_type;
  const origExtra: ExtraOutput[] = exposable.map((s) => ({ name: originalX.get(s.y)!, dataType: typeOfSite(s) }));
  const ownSites = new Set(origSites.map((s) => s.y));
  const sameFunction = blocks.length > 0 && sites.every((s) => blockInput.has(s.y) || ownSites.has(s.y));
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
    originalX,
    sameFunction,
    rewrittenIndex,
    originalExposed: withExtraOutputs(withBlocksBypassed(withSitesBypassed(original, origSites), blocks), origExtra),
    rewrittenExposed: withExtraOutputs(rewritten, rewrExtra),
    bypassed: sitesHaveProblems ? undefined : withExtraOutputs(withSitesBypassed(rewritten, sites), bypassExtra),
  };
}
