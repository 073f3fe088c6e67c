/**
 * Graph scopes: the main graph and every nested graph held by a node attribute (If branches, Loop and
 * Scan bodies). A nested graph may read any name of its enclosing scopes, so edits that rename or
 * rewire a tensor have to visit all of them.
 */
import type { GraphProto, ModelProto, NodeProto } from '../codec/types.js';
import { InputError } from '../errors.js';

/** One graph and where it sits in the model. */
export interface GraphScope {
  readonly graph: GraphProto;
  /** A readable path: `main`, then `<node name or op_type>.<attribute>` per level, joined by ` > `. */
  readonly path: string;
  /** The enclosing scope, absent for the main graph. */
  readonly parent?: GraphScope;
  /** The node whose attribute holds this graph, absent for the main graph. */
  readonly owner?: NodeProto;
  /** Nesting depth: 0 for the main graph. */
  readonly depth: number;
}

/** The model's main graph, or an InputError when it has none. */
export function mainGraph(model: ModelProto): GraphProto {
  if (!model.graph) throw new InputError('the model has no graph', 'is this an ONNX model file?');
  return model.graph;
}

/** The graphs held directly by a node's attributes, with the attribute name. */
export function* subgraphsOf(node: NodeProto): Iterable<[string, GraphProto]> {
  for (const attr of node.attribute) {
    if (attr.g) yield [attr.name ?? '', attr.g];
    for (const g of attr.graphs) yield [attr.name ?? '', g];
  }
}

/** Every graph of the model, outer before inner (depth-first, in node order). */
export function* graphScopes(model: ModelProto): Iterable<GraphScope> {
  const root: GraphScope = { graph: mainGraph(model), path: 'main', depth: 0 };
  yield* walk(root);
}

function* walk(scope: GraphScope): Iterable<GraphScope> {
  yield scope;
  for (const node of scope.graph.node) {
    for (const [attrName, g] of subgraphsOf(node)) {
      const label = `${node.name || node.op_type || 'node'}.${attrName}`;
      yield* walk({ graph: g, path: `${scope.path} > ${label}`, parent: scope, owner: node, depth: scope.depth + 1 });
    }
  }
}

/** Makes `msg[field]` an own array so it can be mutated (absent repeated fields of decoded messages are shared and frozen). */
export function ownArray<T extends object, K extends keyof T>(msg: T, field: K): T[K] {
  if (!Object.prototype.hasOwnProperty.call(msg, field)) {
    (msg as Record<K, unknown>)[field] = [] as unknown;
  }
  return msg[field];
}
