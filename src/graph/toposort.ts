/**
 * Stable topological sort of a graph's nodes. A node that holds nested graphs depends on every outer
 * tensor those graphs read, since they run inside it. Nodes already in order keep their order.
 */
import type { GraphProto, NodeProto } from '../codec/types.js';
import { subgraphsOf } from './scopes.js';

/** Raised when the nodes cannot be ordered; `nodes` are those caught in (or behind) a cycle. */
export class GraphCycleError extends Error {
  override readonly name = 'GraphCycleError';
  constructor(readonly nodes: readonly string[]) {
    super(`the graph has a cycle through: ${nodes.slice(0, 10).join(', ')}${nodes.length > 10 ? ', …' : ''}`);
  }
}

/** Every tensor name a node reads, including outer names read inside its nested graphs. */
export function nodeReads(node: NodeProto): Set<string> {
  const reads = new Set(node.input.filter((s) => s));
  for (const [, g] of subgraphsOf(node)) for (const name of outerReads(g)) reads.add(name);
  return reads;
}

/** Names a graph reads that it does not define itself (so come from an enclosing scope). */
export function outerReads(graph: GraphProto): Set<string> {
  const defined = new Set<string>();
  for (const v of graph.input) if (v.name) defined.add(v.name);
  for (const t of graph.initializer) if (t.name) defined.add(t.name);
  for (const n of graph.node) for (const o of n.output) if (o) defined.add(o);
  const reads = new Set<string>();
  for (const n of graph.node) for (const name of nodeReads(n)) if (!defined.has(name)) reads.add(name);
  for (const v of graph.output) if (v.name && !defined.has(v.name)) reads.add(v.name);
  return reads;
}

/**
 * Reorders `graph.node` in place so that every node comes after the producers of what it reads.
 * Among ready nodes the original order wins (Kahn's algorithm over a min-heap of positions), so a
 * sorted graph is left unchanged. O((nodes + edges) log nodes).
 * @returns whether the order changed.
 * @throws GraphCycleError naming the nodes that could not be placed.
 */
export function topologicalSort(graph: GraphProto): boolean {
  const nodes = graph.node;
  const producerIndex = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.output) if (o) producerIndex.set(o, i);
  });
  const pending = new Array<number>(nodes.length).fill(0);
  const dependents: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    for (const name of nodeReads(n)) {
      const p = producerIndex.get(name);
      if (p !== undefined && p !== i) {
        pending[i]!++;
        dependents[p]!.push(i);
      }
    }
  });
  const heap = new MinHeap();
  pending.forEach((c, i) => {
    if (c === 0) heap.push(i);
  });
  const order: number[] = [];
  while (heap.size > 0) {
    const i = heap.pop();
    order.push(i);
    for (const d of dependents[i]!) if (--pending[d]! === 0) heap.push(d);
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.filter((_, i) => pending[i]! > 0).map((n) => n.name || `${n.op_type}(${n.output.join(',')})`);
    throw new GraphCycleError(stuck);
  }
  const changed = order.some((v, i) => v !== i);
  if (changed) graph.node = order.map((i) => nodes[i]!);
  return changed;
}

class MinHeap {
  private readonly a: number[] = [];
  get size(): number {
    return this.a.length;
  }
  push(v: number): void {
    const a = this.a;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= v) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = v;
  }
  pop(): number {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1,
          r = l + 1;
        let m = i;
        let mv = last;
        if (l < a.length && a[l]! < mv) {
          m = l;
          mv = a[l]!;
        }
        if (r < a.length && a[r]! < mv) {
          m = r;
        }
        if (m === i) break;
        a[i] = a[m]!;
        i = m;
      }
      a[i] = last;
    }
    return top;
  }
}
