/**
 * fuseSge: find the SGE blocks an exporter wrote as primitive ops, prove each in onnxruntime, and
 * replace the proven ones by sites of our form, named and parameterized as inject names them, so that
 * `strip`, `validate` and `list` treat them as ours.
 */
import type { ModelProto } from '../../codec/types.js';
import { DataType } from '../../codec/types.js';
import { InputError } from '../../errors.js';
import { checkOpset } from '../../builders/opsets.js';
import { ModelIndex } from '../../graph/model-index.js';
import { NameAuthority } from '../../graph/names.js';
import { opsetVersion } from '../../graph/opset.js';
import { graphScopes } from '../../graph/scopes.js';
import { topologicalSort } from '../../graph/toposort.js';
import { sgeBiasName, sgeWeightName } from '../conventions.js';
import { findInjectedSites } from '../detect.js';
import { checkAcyclic, countModel } from '../inject.js';
import { checkFunctionForm, installFunctionForm } from '../site-form.js';
import { checkIrVersion } from '../ir.js';
import { blockParameters, type CandidateBlock, type ExportedBlock, findExportedBlocks, isCandidate } from './find.js';
import { type FuseRuntime, type ProofCache, type ProofResult, proveBlock } from './proof.js';
import type { FusedSite, FuseReport, NearMiss } from './report.js';
import { replaceBlocks } from './rewrite.js';

/** Options of {@link fuseSge}. */
export interface FuseOptions {
  /** The onnxruntime module that runs the proofs (`import * as ort from 'onnxruntime-node'` or `-web`). */
  readonly ort: FuseRuntime;
  /** Write standard ops at each site instead of a function call. Default false. */
  readonly inline?: boolean;
  /** Seed of the proof inputs (default 0). */
  readonly seed?: number;
  /** Called before each block's proof. */
  readonly onProgress?: (event: { readonly done: number; readonly total: number; readonly site: string }) => void;
}

/**
 * Replaces every exported SGE block of `model` that proves out by one site of our form, in place, and
 * resolves to a report. Blocks that look like SGE but differ (or fail the proof) are left exactly as
 * they are and reported as near misses. With no block fused the model is unchanged and the report
 * has no sites (the CLI makes that exit 2).
 * @throws InputError when the model cannot be fused at all (no ai.onnx opset, an opset outside 11…26, a
 *   graph that cannot be ordered); the model is unchanged then.
 */
export async function fuseSge(model: ModelProto, options: FuseOptions): Promise<FuseReport> {
  const opset = opsetVersion(model, '');
  if (opset === undefined) throw new InputError('the model imports no ai.onnx opset', 'is it a valid ONNX model?');
  checkOpset(opset);
  checkIrVersion(model);
  const mode = options.inline ? 'inline' : 'function';
  // A function named like ours with another body would be what the fused sites call: refuse it first.
  if (mode === 'function') checkFunctionForm(model);
  const index = new ModelIndex(model);
  checkAcyclic(index);
  const before = countModel(model);
  const blocks = refuseUnfit(findExportedBlocks(model, index), model);
  const candidates = blocks.filter(isCandidate);
  const proofs = new Map<CandidateBlock, ProofResult>();
  const cache: ProofCache = new Map();
  for (const [i, b] of candidates.entries()) {
    options.onProgress?.({ done: i, total: candidates.length, site: b.site });
    proofs.set(b, await proveBlock(options.ort, model, index, b, options.seed ?? 0, cache));
  }
  const proven = candidates.filter((b) => proofs.get(b)!.passed);
  const nearMisses = blocks
    .filter((b) => !proven.includes(b as CandidateBlock))
    .map((b) => nearMiss(b, proofs.get(b as CandidateBlock)));
  const report = {
    mode,
    opset,
    nodesBefore: before.nodes,
    initializersBefore: before.initializers,
    functionsAdded: [] as string[],
    opsetImportsAdded: [] as string[],
    warnings: [] as string[],
    nearMisses,
  } as const;
  if (proven.length === 0)
    return {
      ...report,
      sites: [],
      nodesAfter: before.nodes,
      initializersAfter: before.initializers,
      parametersRecovered: 0,
    };

  // Checked and proven: from here on the model changes.
  const replacements = proven.map((block) => ({ block, ...blockParameters(block) }));
  const counts = replaceBlocks(model, replacements, { mode, opset, names: new NameAuthority(model) });
  const form =
    mode === 'function'
      ? installFunctionForm(model, opset, new Set(proven.map((b) => b.elemType)))
      : { functionsAdded: [], opsetImportsAdded: [], warnings: [] };
  for (const scope of graphScopes(model)) topologicalSort(scope.graph);
  const after = countModel(model);
  const sites = replacements.map(({ block: b, weight, bias }, i): FusedSite => {
    const proof = proofs.get(b)!;
    return {
      name: b.site,
      opType: b.producer.op_type ?? '',
      graph: b.scope.path,
      input: b.x,
      output: b.y,
      channels: b.channels,
      groups: b.groups,
      spatial: b.shape ? b.shape.slice(2).map((d) => (d === undefined ? null : d)) : null,
      elemType: b.elemType === DataType.FLOAT16 ? 'float16' : 'float32',
      mode,
      ...counts[i]!,
      weight: Array.from(weight),
      bias: Array.from(bias),
      weightFrom: b.weight.use.node.input[b.weight.use.inputIndex] ?? '',
      biasFrom: b.bias.use.node.input[b.bias.use.inputIndex] ?? '',
      proof: { maxAbs: proof.maxAbs, maxRel: proof.maxRel, elements: proof.elements },
    };
  });
  const warnings = [...form.warnings];
  const kept = sites.filter((s) => s.nodesKept > 0);
  if (kept.length)
    warnings.push(
      `${kept.reduce((a, s) => a + s.nodesKept, 0)} node(s) of fused blocks were kept because the rest of the model reads them (at ${kept.map((s) => s.name).join(', ')})`,
    );
  return {
    ...report,
    sites,
    nodesAfter: after.nodes,
    initializersAfter: after.initializers,
    parametersRecovered: sites.reduce((a, s) => a + 2 * s.groups, 0),
    functionsAdded: form.functionsAdded,
    opsetImportsAdded: form.opsetImportsAdded,
    ...('irVersion' in form && form.irVersion ? { irVersion: form.irVersion } : {}),
    warnings,
  };
}

/**
 * Candidates that cannot become sites of their own name: two blocks after one node, a node that
 * already has our SGE, or our parameter names taken by something else.
 */
function refuseUnfit(blocks: readonly ExportedBlock[], model: ModelProto): ExportedBlock[] {
  const names = new NameAuthority(model);
  const sites = findInjectedSites(model);
  const ours = new Set(sites.map((s) => s.x));
  // A block whose nodes are an inline site of ours (0.1's inline body reads much like an export) is
  // neither a block to fuse nor a near miss: it is ours already.
  const ourNodes = new Set(sites.flatMap((s) => s.nodes));
  const seen = new Set<string>();
  return blocks
    .filter((b) => !b.nodes.some((n) => ourNodes.has(n)))
    .map((b) => {
      if (!isCandidate(b)) return b;
      const reasons: string[] = [];
      if (seen.has(b.site)) reasons.push(`another exported block already follows '${b.site}'`);
      if (ours.has(b.x)) reasons.push(`'${b.site}' is already followed by an SGE site of sge-inject`);
      for (const n of [sgeWeightName(b.site), sgeBiasName(b.site)])
        if (names.has(n)) reasons.push(`the name '${n}' the site's parameter needs is already used in the model`);
      seen.add(b.site);
      return reasons.length ? { ...b, reasons } : b;
    });
}

function nearMiss(b: ExportedBlock, proof: ProofResult | undefined): NearMiss {
  return {
    site: b.site,
    graph: b.scope.path,
    input: b.x,
    output: b.y,
    nodes: b.nodes.length,
    reasons: proof && !proof.passed ? [proof.reason!] : [...b.reasons],
  };
}
