/**
 * The SGE transform: insert one Spatial Group-wise Enhance block after each chosen node, as a call of a
 * model-local function (default) or inline as standard ops. Everything is checked before the model is
 * touched, so a refused injection leaves it exactly as it was.
 */
import { DataType, type ModelProto } from '../codec/types.js';
import { InputError } from '../errors.js';
import { ModelIndex } from '../graph/model-index.js';
import { graphScopes } from '../graph/scopes.js';
import { NameAuthority } from '../graph/names.js';
import { opsetVersion } from '../graph/opset.js';
import { spliceAfterOutput } from '../graph/edit.js';
import { GraphCycleError, topologicalSort } from '../graph/toposort.js';
import type { Dim } from '../graph/dims.js';
import { FLOAT16_MAX } from '../tensor/float16.js';
import { checkOpset } from '../builders/opsets.js';
import { buildSite, checkFunctionForm, installFunctionForm } from './site-form.js';
import { describeCandidates, selectSites, type SiteCandidate, type SiteSelection } from './sites.js';
import { stripSge } from './strip.js';
import type { SgeParamsFile } from './params.js';
import { sgeBiasName, sgeWeightName } from './conventions.js';
import { checkIrVersion } from './ir.js';
import { judgeSite } from './site-checks.js';
import { checkBoolean, checkNumber, checkOptionsObject, checkParams, checkStringList } from './options.js';
import { frozenPart } from '../graph/editable.js';
import { foreignSgeFunctions } from './recognize.js';
import { resolveGroups } from './groups.js';

export { DEFAULT_GROUPS, resolveGroups } from './groups.js';
export { FUNCTION_MIN_IR } from './ir.js';

/** Options of {@link injectSge}. */
export interface InjectOptions extends SiteSelection {
  /** Groups G; default: the params file's `groups`, else 64. */
  readonly groups?: number;
  /** Per-site parameters; without it every site gets the paper's init (weight 0, bias 1). */
  readonly params?: SgeParamsFile;
  /** Write standard ops at each site instead of a function call. Default false. */
  readonly inline?: boolean;
  /** Replace an SGE already inserted at a chosen site instead of refusing. Default false. */
  readonly force?: boolean;
}

/** One inserted site, as reported. */
export interface SiteReport {
  readonly name: string;
  readonly opType: string;
  /** Where it is: `main`, or the path of the nested graph. */
  readonly graph: string;
  readonly channels: number;
  /** Spatial dims after N and C (numbers, symbolic names, or null when unknown). */
  readonly spatial: (number | string | null)[] | null;
  readonly groups: number;
  readonly elemType: 'float32' | 'float16';
  readonly mode: 'function' | 'inline';
  /** True when an existing SGE here was replaced (`force`). */
  readonly replaced: boolean;
}

/** What {@link injectSge} did. */
export interface InjectReport {
  readonly sites: SiteReport[];
  readonly groups: number;
  readonly mode: 'function' | 'inline';
  readonly nodesAdded: number;
  readonly initializersAdded: number;
  readonly parametersAdded: number;
  readonly functionsAdded: string[];
  /** Our functions that an earlier release wrote, given this release's body (function form only). */
  readonly functionsUpdated: string[];
  readonly opsetImportsAdded: string[];
  /** Set when the IR version was raised (function mode needs IR 8). */
  readonly irVersion?: { readonly from: number; readonly to: number };
  readonly opset: number;
  readonly warnings: string[];
}

const dimOut = (d: Dim): number | string | null => (d === undefined ? null : d);
// One problem per line, so a refusal over many sites stays readable (and a few lines long).
const listSome = (items: string[]): string =>
  items
    .slice(0, 8)
    .map((p) => `\n  - ${p}`)
    .join('') + (items.length > 8 ? `\n  - … (${items.length} in all)` : '');

/** The way out of each kind of refusal, said once however many sites have it. */
const HINTS = {
  groups:
    "choose --groups that divides every site's channel count (`sge-inject list MODEL --groups N` shows which do), or narrow --after",
  params: 'give every selected site G weights and G biases in the params file, or narrow --after / add --exclude',
  elemType: 'SGE works on float32 and float16 activations: convert the model, or leave the site out with --exclude',
  spatial: 'leave the site out with --exclude, or choose a layer with a larger feature map',
  existing: 'or leave it out with --exclude (`sge-inject list MODEL` shows where an SGE already is)',
  channels: 'add value_info for the conv output (e.g. onnx.shape_inference), or leave the site out with --exclude',
  names:
    'sites are named after their node (or its output when unnamed): give the nodes distinct names in the model, or leave one out with --exclude and the name of its output',
  taken: 'rename that tensor or node in the model (or strip the SGE that made it first)',
} as const;

/** Why one site cannot take SGE, and the way out (said once per kind, however many sites have it). */
export interface Refusal {
  readonly text: string;
  readonly hint: string;
}

/** A site the plan inserts SGE at, with everything its block is built from. */
export interface PlannedSite {
  readonly site: SiteCandidate;
  readonly elemType: number;
  readonly weight: ArrayLike<number>;
  readonly bias: ArrayLike<number>;
}

/**
 * What {@link injectSge} will do, worked out without changing the model: every site it inserts SGE at,
 * or every reason it refuses (all of them, so one run names every problem).
 */
export type InjectionPlan =
  | {
      readonly ok: true;
      readonly opset: number;
      readonly groups: number;
      readonly mode: 'function' | 'inline';
      readonly sites: readonly PlannedSite[];
      /** Sites whose existing SGE is replaced first (`force`). */
      readonly replace: ReadonlySet<string>;
      readonly warnings: string[];
    }
  | { readonly ok: false; readonly refusals: readonly Refusal[]; readonly warnings: string[] };

/**
 * Inserts SGE after each chosen node of `model`, in place, and returns a report.
 * Callers who need the original should keep its bytes: the model is edited.
 * @throws UsageError / InputError naming the site and the way out; the model is unchanged then.
 */
export function injectSge(model: ModelProto, options: InjectOptions): InjectReport {
  const plan = planInjection(model, options);
  if (!plan.ok) throw refusalError(plan.refusals);
  return applyInjection(model, plan);
}

/**
 * The plan for `options` on `model`: reads the model, never changes it.
 * @throws TypeError / UsageError / InputError for bad arguments, patterns and models (before any site
 *   is judged); a site that cannot take SGE is a refusal in the plan instead.
 */
export function planInjection(model: ModelProto, options: InjectOptions): InjectionPlan {
  checkInjectArguments(model, options);
  checkIrVersion(model);
  const opset = opsetVersion(model, '');
  if (opset === undefined) throw new InputError('the model imports no ai.onnx opset', 'is it a valid ONNX model?');
  checkOpset(opset);
  const groups = resolveGroups(options.groups, options.params);
  const mode = options.inline ? 'inline' : 'function';
  if (mode === 'function') checkFunctionForm(model);
  const index = new ModelIndex(model);
  checkAcyclic(index);
  const candidates = describeCandidates(model, options.opTypes ?? ['Conv'], index);
  const sites = selectSites(model, options, candidates);

  const refusals: Refusal[] = [];
  const refuse = (text: string, hint: keyof typeof HINTS): void => {
    refusals.push({ text, hint: HINTS[hint] });
  };
  const warnings: string[] = [];
  const foreign = new Set(foreignSgeFunctions(model).map((f) => f.name));
  for (const s of sites) {
    if (options.force && s.existing?.mode === 'function' && foreign.has(s.existing.outputNode?.op_type)) {
      refuse(
        `site '${s.name}' is followed by a call of the model's own ${s.existing.outputNode?.op_type} (a body sge-inject did not write): --force replaces only sge-inject's SGE`,
        'existing',
      );
      continue;
    }
    const judged = judgeSite(s, groups, Boolean(options.force));
    for (const p of judged.problems) refuse(p.text, p.kind);
    warnings.push(...judged.warnings);
  }
  for (const clash of nameClashes(model, sites)) refuse(clash.text, clash.kind);
  const params = resolveParams(sites, groups, options.params, warnings, (text) => refuse(text, 'params'));
  if (refusals.length > 0) return { ok: false, refusals, warnings };
  const planned = sites.map((s): PlannedSite => {
    const { weight, bias } = params.get(s.name)!;
    return { site: s, elemType: s.elemType ?? DataType.FLOAT, weight, bias };
  });
  const replace = new Set(options.force ? sites.filter((s) => s.existing).map((s) => s.existing!.name) : []);
  return { ok: true, opset, groups, mode, sites: planned, replace, warnings };
}

/** The one error for a refused plan: every problem, one a line, and each kind's way out once. */
function refusalError(refusals: readonly Refusal[]): InputError {
  const problems = refusals.map((r) => r.text);
  return new InputError(
    problems.length === 1 ? problems[0]! : `${problems.length} sites cannot take SGE:${listSome(problems)}`,
    [...new Set(refusals.map((r) => r.hint))].join('; '),
  );
}

/** Carries out a plan: the model changes here, and nothing here can refuse. */
function applyInjection(model: ModelProto, plan: Extract<InjectionPlan, { ok: true }>): InjectReport {
  const { opset, groups, mode } = plan;
  const warnings = [...plan.warnings];
  if (plan.replace.size) stripSge(model, (site) => plan.replace.has(site.name));
  const authority = new NameAuthority(model);
  const before = countModel(model);
  const elemTypesUsed = new Set<number>();
  for (const { site: s, elemType, weight, bias } of plan.sites) {
    elemTypesUsed.add(elemType);
    spliceAfterOutput({
      graph: s.scope.graph,
      anchor: s.node,
      names: authority,
      xBase: `${s.output}/pre_sge`,
      build: (x, y) =>
        buildSite({
          mode,
          opset,
          elemType,
          site: s.name,
          x,
          y,
          weight,
          bias,
          channels: s.channels!,
          shape: s.spatial ? [undefined, s.channels!, ...s.spatial] : undefined,
          names: authority,
        }),
    });
  }
  const form = mode === 'function' ? installFunctionForm(model, opset, elemTypesUsed) : undefined;
  if (form) warnings.push(...form.warnings);
  for (const scope of graphScopes(model)) topologicalSort(scope.graph);
  const after = countModel(model);
  return {
    sites: plan.sites.map(({ site: s, elemType }) => ({
      name: s.name,
      opType: s.opType,
      graph: s.scope.path,
      channels: s.channels!,
      spatial: s.spatial ? s.spatial.map(dimOut) : null,
      groups,
      elemType: elemType === DataType.FLOAT16 ? 'float16' : 'float32',
      mode,
      replaced: plan.replace.has(s.name),
    })),
    groups,
    mode,
    nodesAdded: after.nodes - before.nodes,
    initializersAdded: after.initializers - before.initializers,
    parametersAdded: after.parameters - before.parameters,
    functionsAdded: form?.functionsAdded ?? [],
    functionsUpdated: form?.functionsUpdated ?? [],
    opsetImportsAdded: form?.opsetImportsAdded ?? [],
    irVersion: form?.irVersion,
    opset,
    warnings,
  };
}

/** The arguments' types (for JavaScript callers), and a model the edit can change (not frozen). */
function checkInjectArguments(model: ModelProto, options: InjectOptions): void {
  const fn = 'injectSge';
  if (typeof model !== 'object' || model === null || !Array.isArray(model.opset_import) || !model.graph)
    throw new TypeError(`${fn}: model must be a ModelProto with a graph (from loadModel or decodeModel)`);
  checkOptionsObject(fn, options, "{ after: ['*/conv3/Conv'], groups: 64 }");
  checkStringList(fn, 'after', options.after, true, "['*/conv3/Conv']");
  checkStringList(fn, 'exclude', options.exclude);
  checkStringList(fn, 'opTypes', options.opTypes);
  if (options.opTypes?.length === 0)
    throw new TypeError(`${fn}: options.opTypes is empty: give the op types a site may have, e.g. ['Conv']`);
  checkNumber(fn, 'groups', options.groups);
  checkParams(fn, options.params);
  checkBoolean(fn, 'inline', options.inline);
  checkBoolean(fn, 'force', options.force);
  const frozen = frozenPart(model);
  if (frozen)
    throw new TypeError(
      `${fn}: ${frozen} is frozen (read-only), and injectSge edits the model in place; pass an editable copy, e.g. decodeModel(encodeModel(model))`,
    );
}

/**
 * Names the sites would create that are not free: two selected nodes giving one site name (their
 * parameters would share names), or a parameter name the model already uses for something else.
 */
function nameClashes(
  model: ModelProto,
  sites: readonly SiteCandidate[],
): Array<{ text: string; kind: 'names' | 'taken' }> {
  const out: Array<{ text: string; kind: 'names' | 'taken' }> = [];
  const byName = new Map<string, SiteCandidate[]>();
  for (const s of sites) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  for (const [name, same] of byName) {
    if (same.length < 2) continue;
    const outputs = same.map((s) => `'${s.node.output[0] ?? ''}'`).join(', ');
    out.push({
      kind: 'names',
      text: `${same.length} selected ${same[0]!.opType} nodes share the name '${name}' (they write ${outputs}): each site is named after its node, so their SGE parameters would collide`,
    });
  }
  const taken = new NameAuthority(model);
  for (const [name, [s]] of byName) {
    // A site with an SGE already is refused without --force, and --force frees that SGE's names first.
    if (s!.existing) continue;
    for (const n of [sgeWeightName(name), sgeBiasName(name)]) {
      if (taken.has(n))
        out.push({
          kind: 'taken',
          text: `site '${name}' needs the name '${n}' for its parameters, but the model already uses it`,
        });
    }
  }
  return out;
}

/**
 * A graph that cannot be ordered (a cycle, or two nodes producing one name) is an invalid model: say so
 * as bad input before any edit, rather than failing in the final sort as if it were our bug.
 */
export function checkAcyclic(index: ModelIndex): void {
  for (const scope of index.scopes) {
    // The sort sees no edge from a node to itself; after a splice such a node would read the block's output.
    const selfReader = scope.graph.node.find((n) => n.input.some((i) => i && n.output.includes(i)));
    if (selfReader) {
      throw new InputError(
        `node '${selfReader.name || selfReader.output[0] || selfReader.op_type}' of the ${scope.path === 'main' ? 'graph' : `subgraph ${scope.path}`} reads its own output '${selfReader.input.find((i) => i && selfReader.output.includes(i))}'`,
        'the model is not valid ONNX (onnx.checker rejects it): re-export it',
      );
    }
    try {
      // Sorts a copy of the node list; the model itself is not reordered.
      topologicalSort({ ...scope.graph, node: [...scope.graph.node] });
    } catch (err) {
      if (!(err instanceof GraphCycleError)) throw err;
      const where = scope.path === 'main' ? 'graph' : `subgraph ${scope.path}`;
      throw new InputError(
        `the model's ${where} cannot be ordered: ${err.message.replace(/^the graph has/, 'it has')} (or two nodes produce the same tensor)`,
        'the model is not valid ONNX (onnx.checker rejects it): re-export it',
        { cause: err },
      );
    }
  }
}

interface SiteParams {
  weight: ArrayLike<number>;
  bias: ArrayLike<number>;
}

function resolveParams(
  sites: readonly SiteCandidate[],
  groups: number,
  file: SgeParamsFile | undefined,
  warnings: string[],
  problem: (text: string) => void,
): Map<string, SiteParams> {
  const out = new Map<string, SiteParams>();
  if (!file) {
    for (const s of sites)
      out.set(s.name, { weight: new Float32Array(groups).fill(0), bias: new Float32Array(groups).fill(1) });
    return out;
  }
  const selected = new Set(sites.map((s) => s.name));
  for (const s of sites) {
    const p = file.sites.get(s.name);
    if (!p) {
      problem(`the params file ${file.source ?? ''}${file.source ? ' ' : ''}has no entry for site '${s.name}'`);
      continue;
    }
    for (const [what, arr] of [
      ['weight', p.weight],
      ['bias', p.bias],
    ] as const) {
      if (arr.length !== groups)
        problem(`params for site '${s.name}': ${what} has ${arr.length} values, expected groups = ${groups}`);
      const bad = Array.from(arr).findIndex((v) => !Number.isFinite(v));
      if (bad >= 0)
        problem(`params for site '${s.name}': ${what}[${bad}] is ${Array.from(arr)[bad]}, not a finite number`);
      const big = s.elemType === DataType.FLOAT16 ? Array.from(arr).findIndex((v) => Math.abs(v) > FLOAT16_MAX) : -1;
      if (big >= 0)
        problem(
          `params for site '${s.name}': ${what}[${big}] = ${Array.from(arr)[big]} does not fit the site's float16 type (max ${FLOAT16_MAX})`,
        );
    }
    out.set(s.name, p);
  }
  const unused = [...file.sites.keys()].filter((k) => !selected.has(k));
  if (unused.length)
    warnings.push(
      `the params file has entries for sites not selected: ${unused.slice(0, 8).join(', ')}${unused.length > 8 ? ', …' : ''}`,
    );
  return out;
}

/** Nodes, initializers and initializer elements over every graph of the model. */
export function countModel(model: ModelProto): { nodes: number; initializers: number; parameters: number } {
  let nodes = 0,
    initializers = 0,
    parameters = 0;
  for (const scope of graphScopes(model)) {
    nodes += scope.graph.node.length;
    initializers += scope.graph.initializer.length;
    for (const t of scope.graph.initializer) parameters += t.dims.reduce<number>((p, d) => p * Number(d), 1);
  }
  return { nodes, initializers, parameters };
}
