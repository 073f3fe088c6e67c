/**
 * Every graph of a model with a structural address (node index, attribute, list index per level), so a
 * copy of the model can be made along exactly that path without touching the caller's messages.
 */
import type { GraphProto, ModelProto } from '../codec/types.js';

/** One level down: the graph held by attribute `attribute` of node `node` (list position `index` for GRAPHS). */
export interface GraphStep {
  readonly node: number;
  readonly attribute: number;
  /** Position in `graphs`; undefined for the single-graph `g` field. */
  readonly index?: number;
}

/** A graph and where it is. */
export interface LocatedGraph {
  readonly graph: GraphProto;
  /** Empty for the main graph. */
  readonly steps: readonly GraphStep[];
  /** Readable: `main`, then ` > <node name or op_type>.<attribute>` per level (as the graph layer writes it). */
  readonly path: string;
}

/** Main graph first, then nested graphs depth-first in node order. */
export function* walkGraphs(model: ModelProto): Iterable<LocatedGraph> {
  if (!model.graph) return;
  yield* walk({ graph: model.graph, steps: [], path: 'main' });
}

function* walk(at: LocatedGraph): Iterable<LocatedGraph> {
  yield at;
  const nodes = at.graph.node;
  for (let n = 0; n < nodes.length; n++) {
    const node = nodes[n]!;
    for (let a = 0; a < node.attribute.length; a++) {
      const attr = node.attribute[a]!;
      const label = `${at.path} > ${node.name || node.op_type || 'node'}.${attr.name ?? ''}`;
      if (attr.g) yield* walk({ graph: attr.g, steps: [...at.steps, { node: n, attribute: a }], path: label });
      for (let i = 0; i < attr.graphs.length; i++) {
        yield* walk({ graph: attr.graphs[i]!, steps: [...at.steps, { node: n, attribute: a, index: i }], path: `${label}[${i}]` });
      }
    }
  }
}
