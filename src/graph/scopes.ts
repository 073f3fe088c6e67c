/**
 * Graph scopes: the main graph and every nested graph held by a node attribute (If branches, Loop and
 * Scan bodies). A nested graph may read any name of its enclosing scopes, so edits that rename or
 * rewire a tensor have to visit all of them.
 */
import type { GraphProto, ModelProto, NodeProto } from '../codec/types.js';
import { InputError } from '../errors.js';

/** One level down: the graph held by attribute `attribute` of node `node` (position `index` in a GRAPHS list). */
export interface GraphStep {
  readonly node: number;
  readonly attribute: number;
  /** Position in `graphs`; undefined for the single-graph `g` field. */
  readonly index?: number;
}

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
  /** Structural address from the main graph (empty for it): lets a copy be made along exactly this path. */
  readonly steps: readonly GraphStep[];
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
  const root: GraphScope = { graph: mainGraph(model), path: 'main', depth: 0, steps: [] };
  yield* walk(root);
}

function* walk(scope: GraphScope): Iterable<GraphScope> {
  yield scope;
  const nodes = scope.graph.node;
  for (let n = 0; n < nodes.length; n++) {
    const node = nodes[n]!;
    for (let a = 0; a < node.attribute.length; a++) {
      const attr = node.attribute[a]!;
      const label = `${scope.path} > ${node.name || node.op_type || 'node'}.${attr.name ?? ''}`;
      const child = (graph: GraphProto, step: GraphStep, path: string): GraphScope => ({
        graph,
        path,
        parent: scope,
        owner: node,
        depth: scope.depth + 1,
        steps: [...scope.steps, step],
      });
      if (attr.g) yield* walk(child(attr.g, { node: n, attribute: a }, label));
      for (let i = 0; i < attr.graphs.length; i++) {
        yield* walk(child(attr.graphs[i]!, { node: n, attribute: a, index: i }, `${label}[${i}]`));
      }
    }
  }
}

/** Makes `msg[field]` an own array so it can be mutated (absent repeated fields of decoded messages are shared and frozen). */
export function ownArray<T extends object, K extends keyof T>(msg: T, field: K): T[K] {
  if (!Object.hasOwn(msg, field)) {
    (msg as Record<K, unknown>)[field] = [] as unknown;
  }
  return msg[field];
}
