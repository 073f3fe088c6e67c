/**
 * Removing inserted SGE blocks: the conv output gets its original name back, the block's nodes and
 * the constants it created go, and so do our function definitions, opset import and IR raise once no
 * site uses them. What the model had before injection is all that remains.
 *
 * Everything is checked before the model changes: a block whose inner values are read outside it, a
 * recorded IR version out of bounds or an IR version we do not support leave the model as it was.
 */
import type { ModelProto } from '../codec/types.js';
import { InputError } from '../errors.js';
import { graphScopes } from '../graph/scopes.js';
import { removeUnusedCreated } from '../graph/cleanup.js';
import { replaceUses } from '../graph/uses.js';
import { ModelIndex } from '../graph/model-index.js';
import { frozenPart } from '../graph/editable.js';
import { irVersion, ORIGINAL_IR_KEY, removeOpsetImport } from '../graph/opset.js';
import { checkIrVersion, FUNCTION_MIN_IR } from './ir.js';
import { SGE_DOMAIN, sgePrefix } from './conventions.js';
import { findInjectedSites, type InjectedSite } from './detect.js';
import { foreignSgeFunctions, isOurSgeFunction } from './recognize.js';

/** What {@link stripSge} removed. */
export interface StripReport {
  readonly sites: string[];
  readonly nodesRemoved: number;
  readonly initializersRemoved: number;
  readonly irVersionRestored?: number;
  /** Things the user should know (e.g. why the IR version was not lowered). */
  readonly notes: string[];
}

/**
 * Removes the inserted SGE blocks whose site names pass `filter` (all by default), in place. Functions and
 * opset imports the model had of its own are never removed, even in our domain.
 * @throws InputError (the model unchanged) when a block's inner value is read outside the block, when the
 *   recorded original IR version is not one sge-inject could have raised, or the IR version is above 13
 */
export function stripSge(model: ModelProto, filter: (site: InjectedSite) => boolean = () => true): StripReport {
  if (typeof model !== 'object' || model === null || !model.graph)
    throw new TypeError('stripSge: model must be a ModelProto with a graph (from loadModel or decodeModel)');
  if (typeof filter !== 'function')
    throw new TypeError('stripSge: filter must be a function of the site, e.g. (site) => site.name !== "conv1"');
  const frozen = frozenPart(model);
  if (frozen)
    throw new TypeError(
      `stripSge: ${frozen} is frozen (read-only), and stripSge edits the model in place; pass an editable copy, e.g. decodeModel(encodeModel(model))`,
    );
  checkIrVersion(model);
  const record = recordedIrVersion(model);
  // A call of a function that has our name but not our body is the user's node, never stripped.
  const foreign = new Set(foreignSgeFunctions(model).map((f) => f.name));
  const found = findInjectedSites(model);
  const theirs = found.filter((s) => s.mode === 'function' && foreign.has(s.outputNode?.op_type));
  const sites = found.filter((s) => !s.problem && !theirs.includes(s) && filter(s));
  checkSelfContained(model, sites);

  let nodesRemoved = 0;
  const created = new Set<string>();
  for (const site of sites) {
    const g = site.scope.graph;
    const drop = new Set(site.nodes);
    g.node = g.node.filter((n) => !drop.has(n));
    nodesRemoved += drop.size;
    // x carried the conv output under a fresh name; give it back its original name: its producer, its
    // readers (in this graph and the graphs nested in it) and its value_info, which the splice added here.
    for (const n of g.node) {
      const i = n.output.indexOf(site.x);
      if (i >= 0) n.output[i] = site.y;
    }
    replaceUses(g, site.x, site.y);
    g.value_info = g.value_info.filter((v) => v.name !== site.x);
    const prefix = sgePrefix(site.name);
    for (const t of g.initializer) if (t.name?.startsWith(prefix)) created.add(t.name);
    created.add(site.weight);
    created.add(site.bias);
  }
  const { initializers } = removeUnusedCreated(model, created);
  const notes: string[] = [];
  if (theirs.length > 0)
    notes.push(
      `${theirs.length} call(s) of the model's own ${[...foreign].map((n) => `${SGE_DOMAIN}.${n}`).join(', ')} left as they are: its body is not sge-inject's`,
    );
  removeOurUnusedFunctions(model);
  const irVersionRestored = findInjectedSites(model).length === 0 ? restoreIr(model, record, notes) : undefined;
  return { sites: sites.map((s) => s.name), nodesRemoved, initializersRemoved: initializers, irVersionRestored, notes };
}

/**
 * Every value made inside an inline block must be read only inside it (the block's output Y excepted),
 * and the conv output under its fresh name must not be a graph output: otherwise removing the block
 * leaves a reader of a value nothing produces, a model onnxruntime rejects.
 */
function checkSelfContained(model: ModelProto, sites: readonly InjectedSite[]): void {
  if (sites.length === 0) return;
  const index = new ModelIndex(model);
  const problems: string[] = [];
  for (const site of sites) {
    const inside = new Set(site.nodes);
    if (index.isGraphOutput(site.x))
      problems.push(`site '${site.name}': '${site.x}' (the conv output before its SGE) is a graph output`);
    for (const node of site.nodes) {
      for (const t of node.output) {
        if (!t || t === site.y) continue;
        const outside = index.consumers(t).find((u) => u.kind === 'graph-output' || !inside.has(u.node));
        if (!outside) continue;
        const reader =
          outside.kind === 'graph-output'
            ? `is a graph output${outside.scope.depth > 0 ? ` of ${outside.scope.path}` : ''}`
            : `is read by node '${outside.node.name || outside.node.output[0] || outside.node.op_type}' outside the block`;
        problems.push(`site '${site.name}': tensor '${t}', made inside its inline SGE block, ${reader}`);
      }
    }
  }
  if (problems.length > 0) {
    throw new InputError(
      `cannot strip: removing the block would leave a reader without its value:\n  - ${problems.slice(0, 8).join('\n  - ')}${problems.length > 8 ? `\n  - … (${problems.length} in all)` : ''}`,
      'make those readers take their input from outside the SGE block (or drop them), then strip again',
    );
  }
}

/** Our function definitions that no node calls any more; the user's own functions always stay. */
function removeOurUnusedFunctions(model: ModelProto): void {
  const called = new Set<string>();
  const nodes = [
    ...[...graphScopes(model)].flatMap(({ graph }) => graph.node),
    ...model.functions.flatMap((f) => f.node),
  ];
  for (const n of nodes) if (n.domain === SGE_DOMAIN) called.add(n.op_type ?? '');
  model.functions = model.functions.filter((f) => !(isOurSgeFunction(f) && !called.has(f.name ?? '')));
  const domainUsed = nodes.some((n) => n.domain === SGE_DOMAIN) || model.functions.some((f) => f.domain === SGE_DOMAIN);
  if (!domainUsed) removeOpsetImport(model, SGE_DOMAIN);
}

/**
 * The IR version recorded when injection raised it, checked: only a version below the one functions
 * need can have been raised. Undefined when there is no record.
 */
function recordedIrVersion(model: ModelProto): { value: number } | undefined {
  const entry = model.metadata_props.find((e) => e.key === ORIGINAL_IR_KEY);
  if (!entry) return undefined;
  const text = entry.value ?? '';
  const v = /^\d{1,2}$/.test(text) ? Number(text) : NaN;
  if (!(v >= 0 && v < FUNCTION_MIN_IR)) {
    throw new InputError(
      `metadata ${ORIGINAL_IR_KEY} holds '${text.slice(0, 40)}', not an IR version sge-inject raises from (0 to ${FUNCTION_MIN_IR - 1})`,
      `the record was edited: remove the ${ORIGINAL_IR_KEY} entry (the IR version then stays as it is) or set it to the IR version before injection`,
    );
  }
  return { value: v };
}

/**
 * Lowers the IR version back to the recorded one, unless something now needs the current one: a
 * model-local function (IR 8), or an IR version someone set after ours (it is not our raise any more).
 * The record goes either way.
 */
function restoreIr(model: ModelProto, record: { value: number } | undefined, notes: string[]): number | undefined {
  if (!record) return undefined;
  model.metadata_props = model.metadata_props.filter((e) => e.key !== ORIGINAL_IR_KEY);
  const now = irVersion(model);
  if (now !== FUNCTION_MIN_IR) {
    notes.push(
      `IR version kept at ${now}: it was changed after sge-inject raised it to ${FUNCTION_MIN_IR} (recorded original ${record.value})`,
    );
    return undefined;
  }
  if (model.functions.length > 0) {
    notes.push(
      `IR version kept at ${now}: the model has model-local functions (${model.functions.map((f) => `${f.domain}.${f.name}`).join(', ')}), which need IR ${FUNCTION_MIN_IR}`,
    );
    return undefined;
  }
  model.ir_version = record.value;
  return record.value;
}
