/**
 * The validation core: run the original and the rewritten model in onnxruntime on the same inputs and
 * prove, site by site, that every inserted SGE computes the float64 reference SGE of its own input and
 * that nothing else changed. Plan (plan.ts), apply (apply.ts), judge (site-check.ts, output-check.ts),
 * report (report-assembly.ts). It runs wherever onnxruntime does: the caller passes the onnxruntime
 * module and the models; files, if any, are reached through the shell's ModelFiles.
 */
import { findInjectedSites } from '../sge/detect.js';
import { runVariants, timeBoth, type RunContext } from './apply.js';
import { parametersAdded } from './cost.js';
import { makeFeeds, type InputLoader } from './feeds.js';
import { toFloat64, type HostTensor } from './host-tensor.js';
import { checkSameInputs, inputSpecs } from './inputs.js';
import { ModelSessions, type ModelUnderTest, type OrtProvider } from './model-sessions.js';
import { checkOutputs } from './output-check.js';
import type { ReplacedBlock } from './model-copy.js';
import { planValidation } from './plan.js';
import { assembleReport, noSitesReport } from './report-assembly.js';
import type { ValidationReport } from './report-types.js';
import { timedRuns, type ValidationSettings } from './settings.js';
import { checkSite } from './site-check.js';
import { readSiteParams } from './site-params.js';

/** A request to {@link validateModels}. */
export interface ValidateModelsRequest extends ValidationSettings {
  /**
   * onnxruntime: `await import('onnxruntime-node')` or `await import('onnxruntime-web')`, or a function
   * that loads it (called when the first session opens, so a model without SGE sites loads nothing).
   */
  readonly ort: OrtProvider;
  /** The model the rewrite started from. */
  readonly original: ModelUnderTest;
  /** The rewritten model. */
  readonly rewritten: ModelUnderTest;
  /**
   * Loads the inputs from somewhere the shell knows (Node: `--inputs DIR`); used when `inputs` is not
   * given, instead of random inputs.
   */
  readonly loadInputs?: InputLoader;
  /**
   * The original's SGE blocks that sites of the rewritten model replaced (what `fuse` reports: each
   * site's input and output). Each is then judged against its block: X against the block's input, the
   * block bypassed in the original as the site is in the rewritten model, and (when every site is such a
   * block) the final outputs must agree within tolerance. Default none: the original lacks the sites.
   */
  readonly replacedBlocks?: readonly ReplacedBlock[];
}

/**
 * Validates a rewritten model against the model it was made from, in any JavaScript runtime. Never
 * modifies either model. The report's `passed` is false when any check fails (see
 * {@link ValidationReport.failures}); the CLI turns that into exit 1.
 *
 * ```ts
 * import * as ort from 'onnxruntime-web';
 * const report = await validateModels({ ort, original: { model: a }, rewritten: { model: b }, runs: 0 });
 * ```
 * @throws InputError (exit 2) when the models take different inputs or the inputs cannot be made or loaded;
 * @throws ValidationFailure (exit 1) when onnxruntime cannot load or run a model or a variant;
 * @throws UsageError for contradictory settings.
 */
export async function validateModels(request: ValidateModelsRequest): Promise<ValidationReport> {
  const { original, rewritten } = request;
  const progress = request.onProgress ?? (() => {});
  const runs = timedRuns(request);
  const notes: string[] = [];
  const failures: string[] = [];

  const sites = findInjectedSites(rewritten.model);
  const params = parametersAdded(original.model, rewritten.model);
  if (sites.length === 0) return noSitesReport(params, notes);

  const specs = inputSpecs(original.model);
  checkSameInputs(specs, inputSpecs(rewritten.model));
  const { feeds, inputs } = await makeFeeds(specs, request, request.loadInputs, notes);

  const plan = planValidation(original.model, rewritten.model, sites, request.replacedBlocks);
  const ctx: RunContext = { sessions: new ModelSessions(request.ort), original, rewritten, feeds, progress };
  const out = await runVariants(plan, ctx);
  if (!plan.bypassed) {
    notes.push(
      'the bypass check (rewritten model without its SGE blocks = original) was skipped: some sites are malformed',
    );
  }

  const siteParams = await readSiteParams(rewritten, plan.rewrittenIndex, plan.checkable);
  const siteReports = sites.map((s) =>
    checkSite(s, {
      params: siteParams,
      isolated: out.isolated,
      rewrOut: out.rewritten,
      origOut: out.original,
      bypassOut: out.bypassed,
      missingInOriginal: plan.missingInOriginal,
      originalX: plan.originalX,
      settings: request,
    }),
  );
  for (const r of siteReports) if (r.verdict === 'fail') failures.push(`site ${r.site}: ${r.reason}`);

  const timings = await timeBoth(ctx, runs, request.timing);
  const [origFinal, rewrFinal] = timings.firstOutputs as [Record<string, HostTensor>, Record<string, HostTensor>];
  const outputs = checkOutputs(
    original.model,
    rewritten.model,
    origFinal,
    rewrFinal,
    out.original,
    out.bypassed,
    request,
    failures,
    allFinite(feeds),
    plan.sameFunction,
  );
  if (plan.sameFunction)
    notes.push(
      'every site replaced an SGE block the original computes in another form: the parameters and MACs "added" are the sites\' own, not new to the network',
    );
  const subgraphSites = sites.filter((s) => s.scope.depth > 0).length;
  if (subgraphSites)
    notes.push(
      `${subgraphSites} site(s) inside If/Loop/Scan bodies were not checked site by site; the rewritten model ran`,
    );
  return assembleReport({
    failures,
    sites: siteReports,
    inputs,
    outputs,
    timings,
    runs,
    parametersAdded: params,
    notes,
  });
}

/** True when no floating-point feed holds NaN or ±Infinity. */
function allFinite(feeds: Record<string, HostTensor>): boolean {
  for (const t of Object.values(feeds)) {
    if (t.type !== 'float32' && t.type !== 'float64' && t.type !== 'float16') continue;
    for (const v of toFloat64(t)) if (!Number.isFinite(v)) return false;
  }
  return true;
}
