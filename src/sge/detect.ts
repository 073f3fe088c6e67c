/** Recognizing SGE blocks this tool inserted, in either form, anywhere in the model. */
import type { ModelProto, NodeProto } from '../codec/types.js';
import { graphScopes, type GraphScope } from '../graph/scopes.js';
import { isSgeOp, SGE_INLINE_MARKER, sgeBiasName, sgeNodeName, sgePrefix, sgeWeightName } from './conventions.js';

/** An inserted SGE block found in a model. */
export interface InjectedSite {
  /** The site name (the chosen node's name, or its first output's name). */
  readonly name: string;
  readonly mode: 'function' | 'inline';
  readonly scope: GraphScope;
  /** Every node of the block (one in function mode). */
  readonly nodes: readonly NodeProto[];
  /** The block's input: the conv output under its fresh name. */
  readonly x: string;
  /** The block's output: the conv output's original name. */
  readonly y: string;
  readonly weight: string;
  readonly bias: string;
}

function siteOfName(nodeName: string | undefined, suffix: '/sge' | '/sge/'): string | undefined {
  if (!nodeName) return undefined;
  const i = suffix === '/sge' ? (nodeName.endsWith('/sge') ? nodeName.length - 4 : -1) : nodeName.lastIndexOf('/sge/');
  return i > 0 ? nodeName.slice(0, i) : undefined;
}

/** Every inserted SGE block, outer scopes first, in node order. */
export function findInjectedSites(model: ModelProto): InjectedSite[] {
  const out: InjectedSite[] = [];
  for (const scope of graphScopes(model)) {
    const nodes = scope.graph.node;
    for (const node of nodes) {
      if (isSgeOp(node.domain, node.op_type)) {
        const name = siteOfName(node.name, '/sge') ?? node.output[0] ?? '';
        out.push({
          name, mode: 'function', scope, nodes: [node], x: node.input[0] ?? '', y: node.output[0] ?? '',
          weight: node.input[1] ?? '', bias: node.input[2] ?? '',
        });
      } else if (node.doc_string === SGE_INLINE_MARKER) {
        const name = siteOfName(node.name, '/sge/');
        if (name === undefined) continue;
        const last = nodes.find((n) => n.name === sgeNodeName(name));
        if (!last) continue;
        const prefix = sgePrefix(name);
        out.push({
          name, mode: 'inline', scope,
          nodes: nodes.filter((n) => n === last || (n.name?.startsWith(prefix) ?? false)),
          x: node.input[0] ?? '', y: last.output[0] ?? '', weight: sgeWeightName(name), bias: sgeBiasName(name),
        });
      }
    }
  }
  return out;
}
