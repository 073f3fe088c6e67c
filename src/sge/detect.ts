/**
 * Recognizing the SGE blocks this tool inserted, in either form, anywhere in the model (the naming
 * conventions are in conventions.ts):
 * - function mode: a node of domain `com.sge-inject`, op_type `SpatialGroupEnhance` or
 *   `SpatialGroupEnhance_float16`, inputs [X, weight, bias], output [Y], named `<site>/sge`;
 * - inline mode: standard ops named `<site>/sge/…`; the first carries doc_string
 *   `sge-inject:SpatialGroupEnhance` and reads X as input 0; the last is named exactly `<site>/sge` and
 *   writes Y; the parameters are the initializers `<site>/sge/weight` and `<site>/sge/bias`.
 * A block that is recognizably ours but malformed is still reported, with `problem` set.
 */
import type { GraphProto, ModelProto, NodeProto } from '../codec/types.js';
import { graphScopes, type GraphScope } from '../graph/scopes.js';
import { isSgeOp, SGE_INLINE_MARKER, sgeBiasName, sgeNodeName, sgePrefix, sgeWeightName } from './conventions.js';

/** An inserted SGE block found in a model. */
export interface InjectedSite {
  /** The site name (the chosen node's name, or its first output's name). */
  readonly name: string;
  readonly mode: 'function' | 'inline';
  /** The graph holding the block (`scope.depth > 0`: inside an If/Loop/Scan body). */
  readonly scope: GraphScope;
  /** Every node of the block, in graph order (one in function mode). */
  readonly nodes: readonly NodeProto[];
  /** The node that writes Y (undefined only for a malformed inline block). */
  readonly outputNode?: NodeProto;
  /** The block's input: the conv output under its fresh name. */
  readonly x: string;
  /** The block's output: the conv output's original name ('' when malformed). */
  readonly y: string;
  /** Initializer names of the per-group parameters. */
  readonly weight: string;
  readonly bias: string;
  /** Set when the block is recognizably ours but malformed (it cannot pass validation). */
  readonly problem?: string;
}

/** Every inserted SGE block, outer scopes first, in node order. */
export function findInjectedSites(model: ModelProto): InjectedSite[] {
  const out: InjectedSite[] = [];
  for (const scope of graphScopes(model)) {
    for (const node of scope.graph.node) {
      if (isSgeOp(node.domain, node.op_type)) out.push(functionSite(node, scope));
      else if (node.doc_string === SGE_INLINE_MARKER) out.push(inlineSite(scope.graph, node, scope));
    }
  }
  return out;
}

function functionSite(node: NodeProto, scope: GraphScope): InjectedSite {
  const nodeName = node.name ?? '';
  const name = nodeName.endsWith('/sge') ? nodeName.slice(0, -4) : nodeName || (node.output[0] ?? '');
  const [x = '', weight = '', bias = ''] = node.input;
  const y = node.output[0] ?? '';
  const problem =
    node.input.length !== 3 || !x || !weight || !bias || !y
      ? `node ${nodeName || '(unnamed)'} should have inputs [X, weight, bias] and one output; it has inputs [${node.input.join(', ')}]`
      : undefined;
  return {
    name,
    mode: 'function',
    scope,
    nodes: [node],
    outputNode: node,
    x,
    y,
    weight,
    bias,
    ...(problem ? { problem } : {}),
  };
}

function inlineSite(graph: GraphProto, first: NodeProto, scope: GraphScope): InjectedSite {
  const firstName = first.name ?? '';
  const byName = new Map<string, NodeProto>();
  for (const n of graph.node) if (n.name) byName.set(n.name, n);
  // A site name may itself contain `/sge/`: the right split is the one whose `<site>/sge` node exists.
  const candidates: string[] = [];
  for (let at = firstName.indexOf('/sge/'); at >= 0; at = firstName.indexOf('/sge/', at + 1))
    candidates.push(firstName.slice(0, at));
  const name = candidates.find((c) => byName.has(sgeNodeName(c))) ?? candidates[candidates.length - 1] ?? firstName;
  const prefix = sgePrefix(name);
  const nodes = graph.node.filter((n) => n.name === sgeNodeName(name) || (n.name?.startsWith(prefix) ?? false));
  const outputNode = byName.get(sgeNodeName(name));
  const base = {
    name,
    mode: 'inline' as const,
    scope,
    nodes,
    x: first.input[0] ?? '',
    weight: sgeWeightName(name),
    bias: sgeBiasName(name),
  };
  if (!outputNode)
    return {
      ...base,
      y: '',
      problem: `inline SGE starting at node '${firstName}' has no final node named '${name}/sge'`,
    };
  const y = outputNode.output[0] ?? '';
  return { ...base, outputNode, y, ...(!base.x ? { problem: `node '${firstName}' has no input 0 (X)` } : {}) };
}
