/**
 * Rewiring reads: every use of one tensor becomes a use of another (onnx-ir's replace_all_uses_with).
 * The one primitive rewrites that take a block out again use, so no caller forgets a nested graph.
 */
import type { GraphProto } from '../codec/types.js';
import { subgraphsOf } from './scopes.js';

/** Options of {@link replaceUses}. */
export interface ReplaceUsesOptions {
  /**
   * Also rename graph outputs of `graph` named `from` (onnx-ir's `replace_graph_outputs`). Default false:
   * a graph output keeps its name, since renaming it changes the model's interface.
   */
  readonly graphOutputs?: boolean;
}

/**
 * Makes every node of `graph`, and of the graphs nested in its nodes (which may read outer names), read
 * `to` where it read `from`. Producers, initializers and value_info are not touched. O(nodes).
 * @returns how many uses changed
 */
export function replaceUses(graph: GraphProto, from: string, to: string, options: ReplaceUsesOptions = {}): number {
  if (from === to) return 0;
  let uses = 0;
  const visit = (g: GraphProto): void => {
    for (const node of g.node) {
      for (let i = 0; i < node.input.length; i++) {
        if (node.input[i] === from) {
          node.input[i] = to;
          uses++;
        }
      }
      for (const [, sub] of subgraphsOf(node)) visit(sub);
    }
  };
  visit(graph);
  if (options.graphOutputs) {
    for (const o of graph.output) {
      if (o.name === from) {
        o.name = to;
        uses++;
      }
    }
  }
  return uses;
}
