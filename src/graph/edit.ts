/**
 * Inserting nodes. Every edit checks everything it can before changing anything, so a refused edit
 * leaves the graph as it was, and a completed one never leaves a reader without a producer.
 */
import type { GraphProto, NodeProto, TensorProto, ValueInfoProto } from '../codec/types.js';
import { InputError } from '../errors.js';
import type { NameAuthority } from './names.js';
import { ownArray } from './scopes.js';

/** What to add to a graph. */
export interface Insertion {
  readonly nodes: readonly NodeProto[];
  readonly initializers?: readonly TensorProto[];
  readonly valueInfo?: readonly ValueInfoProto[];
}

function positionOf(graph: GraphProto, anchor: NodeProto): number {
  const i = graph.node.indexOf(anchor);
  if (i < 0) throw new Error(`node '${anchor.name || anchor.op_type}' is not in this graph`);
  return i;
}

/**
 * Inserts `insertion.nodes` right after `anchor` (so they may read its outputs and anything before it),
 * appends initializers and value_info. O(nodes in graph) for the splice.
 */
export function insertAfter(graph: GraphProto, anchor: NodeProto, insertion: Insertion): void {
  const at = positionOf(graph, anchor);
  const nodes = ownArray(graph, 'node');
  nodes.splice(at + 1, 0, ...insertion.nodes);
  if (insertion.initializers?.length) ownArray(graph, 'initializer').push(...insertion.initializers);
  if (insertion.valueInfo?.length) ownArray(graph, 'value_info').push(...insertion.valueInfo);
}

/** The names a splice used. */
export interface SpliceResult {
  /** The fresh name now carried by the anchor's output (the block's input). */
  readonly x: string;
  /** The original name, now produced by the block. */
  readonly y: string;
}

/** What {@link spliceAfterOutput} inserts, and where. */
export interface SpliceOptions {
  /** The graph that holds `anchor`. */
  readonly graph: GraphProto;
  /** The node whose output the block goes after. */
  readonly anchor: NodeProto;
  /** Which of the anchor's outputs. Default 0. */
  readonly outputIndex?: number;
  /** Hands out the fresh name the anchor's output is renamed to. */
  readonly names: NameAuthority;
  /** What that fresh name is made from (the caller's convention, e.g. the output plus a suffix); made unique. */
  readonly xBase: string;
  /** Builds the block from `x` (the anchor's output, renamed) and `y` (the original name). */
  readonly build: (x: string, y: string) => Insertion;
}

/**
 * Puts a block between an output of `anchor` and everything that read it. The anchor's output is
 * renamed to a fresh name `x` and the block, built by `build(x, y)`, must read `x` and produce the
 * original name `y` exactly once. Readers of `y` (nodes in any scope, graph outputs, value_info) are
 * untouched and now read the block's result: no other reference has to change. If `y` has a value_info
 * in this graph, `x` gets a copy of it (the block preserves type and shape).
 * @throws InputError when the block does not fit (nothing is changed then).
 */
export function spliceAfterOutput(options: SpliceOptions): SpliceResult {
  const { graph, anchor, outputIndex = 0, names, build } = options;
  positionOf(graph, anchor);
  const y = anchor.output[outputIndex];
  if (!y) throw new InputError(`node '${anchor.name || anchor.op_type}' has no output ${outputIndex} to insert after`);
  const x = names.fresh(options.xBase);
  const block = build(x, y);
  const producesY = block.nodes.filter((n) => n.output.includes(y)).length;
  if (producesY !== 1)
    throw new Error(`inserted block must produce '${y}' exactly once, produces it ${producesY} times`);
  if (!block.nodes.some((n) => n.input.includes(x))) throw new Error(`inserted block does not read '${x}'`);
  for (const n of block.nodes) {
    for (const o of n.output)
      if (o !== y && !names.has(o)) throw new Error(`inserted output '${o}' was not reserved as a fresh name`);
  }
  // All checks passed: the rest cannot fail.
  anchor.output[outputIndex] = x;
  const info = graph.value_info.find((v) => v.name === y) ?? graph.output.find((v) => v.name === y);
  const valueInfo = [...(block.valueInfo ?? [])];
  if (info?.type) valueInfo.push({ name: x, type: info.type, metadata_props: [] });
  insertAfter(graph, anchor, { nodes: block.nodes, initializers: block.initializers, valueInfo });
  return { x, y };
}
