/**
 * Replacing proven blocks by sites of our form. The site reads the block's input X and writes the
 * block's output Y under their own names, so every node outside the block keeps its bytes (readers of
 * Y are untouched); it is placed where Y's old producer was, so the graph stays in order. Then every
 * block node whose outputs nothing reads any more is removed, and every initializer (and its IR < 4
 * graph input) that only removed nodes read: what another block or the rest of the network still
 * reads stays.
 */
import type { GraphProto, ModelProto, NodeProto } from '../../codec/types.js';
import { ModelIndex } from '../../graph/model-index.js';
import type { NameAuthority } from '../../graph/names.js';
import { graphScopes, ownArray } from '../../graph/scopes.js';
import { buildSite } from '../site-form.js';
import type { CandidateBlock } from './find.js';

/** One block to replace, with the parameters recovered from it. */
export interface Replacement {
  readonly block: CandidateBlock;
  readonly weight: Float64Array;
  readonly bias: Float64Array;
}

/** What the replacement of one block removed and added. */
export interface ReplacementCount {
  readonly nodesRemoved: number;
  readonly nodesAdded: number;
  readonly initializersRemoved: number;
  /** Block nodes kept because something outside the block still reads them. */
  readonly nodesKept: number;
}

/**
 * Replaces each block in place. Every check must have been made before (proof, names): this only
 * edits. `names` knows every name of the model.
 */
export function replaceBlocks(
  model: ModelProto,
  replacements: readonly Replacement[],
  options: { readonly mode: 'function' | 'inline'; readonly opset: number; readonly names: NameAuthority },
): ReplacementCount[] {
  const graphOf = new Map<NodeProto, GraphProto>();
  for (const { graph } of graphScopes(model)) for (const n of graph.node) graphOf.set(n, graph);
  const added: number[] = [];
  for (const r of replacements) {
    const b = r.block;
    const graph = b.scope.graph;
    const site = buildSite({
      mode: options.mode,
      opset: options.opset,
      elemType: b.elemType,
      site: b.site,
      x: b.x,
      y: b.y,
      weight: r.weight,
      bias: r.bias,
      channels: b.channels,
      ...(b.shape ? { shape: b.shape } : {}),
      names: options.names,
    });
    const nodes = ownArray(graph, 'node');
    const last = nodes.findIndex((n) => n.output.includes(b.y));
    // Y's old producer goes now; the rest of the block goes below once nothing reads it.
    nodes.splice(last, 1, ...site.nodes);
    graphOf.delete(b.nodes.find((n) => n.output.includes(b.y))!);
    ownArray(graph, 'initializer').push(...site.initializers);
    added.push(site.nodes.length);
  }
  return removeDeadBlockNodes(model, replacements, graphOf).map((c, i) => ({ ...c, nodesAdded: added[i]! }));
}

function removeDeadBlockNodes(
  model: ModelProto,
  replacements: readonly Replacement[],
  graphOf: Map<NodeProto, GraphProto>,
): Omit<ReplacementCount, 'nodesAdded'>[] {
  const index = new ModelIndex(model);
  const reads = new Map<string, number>();
  for (const name of index.tensorNames()) reads.set(name, index.consumers(name).length);
  const owner = new Map<NodeProto, number>();
  replacements.forEach((r, i) => {
    for (const n of r.block.nodes) if (!owner.has(n)) owner.set(n, i);
  });
  const removed = new Set<NodeProto>();
  const counts = replacements.map((r) => ({ nodesRemoved: 1, initializersRemoved: 0, nodesKept: 0, block: r.block }));
  // Consumers come after producers, so one pass from the end frees whole chains; repeat until stable
  // for the rare node listed out of order.
  const candidates = [...owner.keys()].filter((n) => graphOf.has(n));
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = candidates.length - 1; i >= 0; i--) {
      const n = candidates[i]!;
      if (removed.has(n) || n.output.some((o) => o && (reads.get(o) ?? 0) > 0)) continue;
      removed.add(n);
      changed = true;
      for (const input of n.input) if (input) reads.set(input, (reads.get(input) ?? 1) - 1);
      counts[owner.get(n)!]!.nodesRemoved++;
    }
  }
  const freed = new Set<string>();
  for (const n of removed) for (const input of n.input) if (input && (reads.get(input) ?? 0) === 0) freed.add(input);
  const gone = new Set<string>();
  for (const n of removed) for (const o of n.output) if (o) gone.add(o);
  for (const { graph } of graphScopes(model)) {
    if (graph.node.some((n) => removed.has(n))) graph.node = graph.node.filter((n) => !removed.has(n));
    const drop = graph.initializer.filter((t) => t.name && freed.has(t.name) && !index.isGraphOutput(t.name));
    if (drop.length) {
      const names = new Set(drop.map((t) => t.name!));
      graph.initializer = graph.initializer.filter((t) => !drop.includes(t));
      // IR < 4 lists initializers as graph inputs too: an input nothing feeds any more goes with it.
      if (graph.input.some((v) => v.name && names.has(v.name)))
        graph.input = graph.input.filter((v) => !(v.name && names.has(v.name)));
      for (const t of drop) {
        const i = replacements.findIndex((r) => r.block.nodes.some((n) => removed.has(n) && n.input.includes(t.name!)));
        if (i >= 0) counts[i]!.initializersRemoved++;
      }
    }
    if (graph.value_info.some((v) => v.name && gone.has(v.name)))
      graph.value_info = graph.value_info.filter((v) => !(v.name && gone.has(v.name)));
  }
  for (const n of candidates) if (!removed.has(n)) counts[owner.get(n)!]!.nodesKept++;
  return counts.map(({ block: _, ...c }) => c);
}
