/**
 * Finding the SGE sites of a rewritten model, in both forms the transform writes (the conventions are
 * fixed project-wide):
 * - function mode: a node of domain `com.sge-inject`, op_type `SpatialGroupEnhance` or
 *   `SpatialGroupEnhance_float16`, inputs [X, weight, bias], output [Y], named `<site>/sge`;
 * - inline mode: standard ops named `<site>/sge/…`; the first carries doc_string
 *   `sge-inject:SpatialGroupEnhance` and reads X as input 0; the last is named exactly `<site>/sge` and
 *   writes Y; the parameters are the initializers `<site>/sge/weight` and `<site>/sge/bias`.
 */
import type { GraphProto, ModelProto, NodeProto } from '../codec/types.js';
import { isSgeOp, SGE_INLINE_MARKER, sgeBiasName, sgeNodeName, sgePrefix, sgeWeightName } from '../sge/conventions.js';
import { walkGraphs, type GraphStep } from './graph-walk.js';

/** One inserted SGE block. */
export interface SgeSite {
  /** The site's name (the chosen node's name, or its first output's). */
  readonly name: string;
  readonly form: 'function' | 'inline';
  /** Input tensor (the conv output under its fresh name). */
  readonly x: string;
  /** Output tensor (the conv output's ORIGINAL name). */
  readonly y: string;
  /** Initializer names of the per-group parameters. */
  readonly weight: string;
  readonly bias: string;
  /** `main`, or the readable path of the subgraph holding the site. */
  readonly graphPath: string;
  /** Structural address of that graph (empty for the main graph). */
  readonly steps: readonly GraphStep[];
  /** True when the site is inside an If/Loop/Scan body: its tensors cannot be made graph outputs. */
  readonly inSubgraph: boolean;
  /** Indices, in its graph, of every node of the site (one for function mode). */
  readonly nodeIndices: readonly number[];
  /** Index of the node that writes Y. */
  readonly outputNode: number;
  /** Set when the site is recognizably ours but malformed (then it cannot pass). */
  readonly problem?: string;
}

/** Every SGE site of the model, in graph order (main graph first, then nested graphs). */
export function findSgeSites(model: ModelProto): SgeSite[] {
  const sites: SgeSite[] = [];
  for (const located of walkGraphs(model)) {
    const common = { graphPath: located.path, steps: located.steps, inSubgraph: located.steps.length > 0 };
    const { graph } = located;
    graph.node.forEach((node, index) => {
      if (isFunctionSite(node)) sites.push({ ...functionSite(node, index), ...common });
      else if (node.doc_string === SGE_INLINE_MARKER) sites.push({ ...inlineSite(graph, node), ...common });
    });
  }
  return sites;
}

/** True for a function-mode SGE node. */
export function isFunctionSite(node: NodeProto): boolean {
  return isSgeOp(node.domain, node.op_type);
}

type SiteCore = Omit<SgeSite, 'graphPath' | 'steps' | 'inSubgraph'>;

function functionSite(node: NodeProto, index: number): SiteCore {
  const nodeName = node.name ?? '';
  const name = nodeName.endsWith('/sge') ? nodeName.slice(0, -4) : nodeName || (node.output[0] ?? '');
  const [x = '', weight = '', bias = ''] = node.input;
  const y = node.output[0] ?? '';
  const problem = node.input.length !== 3 || !x || !weight || !bias || !y
    ? `node ${nodeName || '(unnamed)'} should have inputs [X, weight, bias] and one output; it has inputs [${node.input.join(', ')}]`
    : undefined;
  return { name, form: 'function', x, y, weight, bias, nodeIndices: [index], outputNode: index, ...(problem ? { problem } : {}) };
}

function inlineSite(graph: GraphProto, first: NodeProto): SiteCore {
  const firstName = first.name ?? '';
  const byName = new Map<string, number>();
  graph.node.forEach((n, i) => { if (n.name) byName.set(n.name, i); });
  // A site name may itself contain `/sge/`: the right split is the one whose `<site>/sge` node exists.
  const candidates: string[] = [];
  for (let at = firstName.indexOf('/sge/'); at >= 0; at = firstName.indexOf('/sge/', at + 1)) candidates.push(firstName.slice(0, at));
  const name = candidates.find((c) => byName.has(sgeNodeName(c))) ?? candidates[candidates.length - 1] ?? firstName;
  const prefix = sgePrefix(name);
  const nodeIndices: number[] = [];
  graph.node.forEach((n, i) => { if (n.name === sgeNodeName(name) || n.name?.startsWith(prefix)) nodeIndices.push(i); });
  const outputNode = byName.get(sgeNodeName(name));
  const base = { name, form: 'inline' as const, x: first.input[0] ?? '', weight: sgeWeightName(name), bias: sgeBiasName(name), nodeIndices };
  if (outputNode === undefined) {
    return { ...base, y: '', outputNode: -1, problem: `inline SGE starting at node '${firstName}' has no final node named '${name}/sge'` };
  }
  const y = graph.node[outputNode]!.output[0] ?? '';
  return { ...base, y, outputNode, ...(!base.x ? { problem: `node '${firstName}' has no input 0 (X)` } : {}) };
}
