/**
 * Edits change a model in place. A model the caller froze (Object.freeze, or messages made
 * non-extensible) would make an edit throw half-way and leave the model partly changed; this check
 * finds that before the first change.
 */
import type { ModelProto } from '../codec/types.js';
import { graphScopes } from './scopes.js';

/** Where the model cannot be changed (e.g. 'the model', "graph 'main'", "node 'conv1'"), or undefined. */
export function frozenPart(model: ModelProto): string | undefined {
  const open = (o: unknown): boolean => typeof o !== 'object' || o === null || Object.isExtensible(o);
  // A repeated field absent from the file is a shared, frozen empty array on the prototype; edits replace it
  // with an own array (ownArray), so only own arrays must be extensible.
  const ownOpen = (msg: object, field: string): boolean =>
    !Object.hasOwn(msg, field) || open((msg as Record<string, unknown>)[field]);
  if (!open(model) || !['opset_import', 'functions', 'metadata_props'].every((f) => ownOpen(model, f)))
    return 'the model';
  for (const { graph, path } of graphScopes(model)) {
    if (!open(graph) || !['node', 'initializer', 'value_info', 'output'].every((f) => ownOpen(graph, f)))
      return `graph '${path}'`;
    for (const node of graph.node) {
      if (!open(node) || !ownOpen(node, 'input') || !ownOpen(node, 'output'))
        return `node '${node.name || node.output[0] || node.op_type || '?'}' of graph '${path}'`;
    }
  }
  return undefined;
}
