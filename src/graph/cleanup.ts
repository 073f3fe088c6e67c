/**
 * Removing what an edit created and left unused. Only names the caller lists as created are ever
 * removed: a model may carry initializers or nodes that nothing reads, and those stay.
 */
import type { ModelProto } from '../codec/types.js';
import { graphScopes } from './scopes.js';
import { ModelIndex } from './model-index.js';

/** What was removed. */
export interface CleanupResult {
  readonly nodes: number;
  readonly initializers: number;
}

/**
 * Removes created initializers nothing reads and created nodes none of whose outputs is read, repeating
 * until nothing changes (removing a node may free its inputs). `created` holds initializer names and
 * node names of what the edit added.
 */
export function removeUnusedCreated(model: ModelProto, created: ReadonlySet<string>): CleanupResult {
  let nodes = 0;
  let initializers = 0;
  for (;;) {
    const index = new ModelIndex(model);
    let changed = false;
    for (const { graph } of graphScopes(model)) {
      const keepNode = graph.node.filter(
        (n) => !(n.name && created.has(n.name) && n.output.every((o) => !o || index.consumers(o).length === 0)),
      );
      if (keepNode.length !== graph.node.length) {
        nodes += graph.node.length - keepNode.length;
        graph.node = keepNode;
        changed = true;
      }
      const keepInit = graph.initializer.filter(
        (t) => !(t.name && created.has(t.name) && index.consumers(t.name).length === 0),
      );
      if (keepInit.length !== graph.initializer.length) {
        initializers += graph.initializer.length - keepInit.length;
        graph.initializer = keepInit;
        changed = true;
      }
    }
    if (!changed) return { nodes, initializers };
  }
}
